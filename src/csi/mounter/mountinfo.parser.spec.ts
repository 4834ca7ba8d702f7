import { describe, expect, it } from 'vitest';
import { parseMountInfo, topmostAt } from './mountinfo.parser.js';

const MOUNTINFO = [
  '24 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard',
  '44 24 0:39 / /tmp/t1 rw,relatime shared:20 - fuse.glusterfs 127.0.0.2:/gv0/abc/vol1 rw,user_id=0,group_id=0',
  '45 24 254:0 /srv/data/local/abc/vol\\0401 /var/lib/kubelet/pods/x/mount\\040dir rw,relatime - ext4 /dev/vda rw',
  '46 24 254:0 /srv/other /tmp/t1 ro,relatime - ext4 /dev/vda rw',
  'garbage line',
  '',
].join('\n');

describe('parseMountInfo', () => {
  it('should read fstype, source, root and the mount point, unescaping octal escapes', () => {
    const entries = parseMountInfo(MOUNTINFO);
    expect(entries).toHaveLength(4);
    expect(entries[1]).toEqual({
      fstype: 'fuse.glusterfs',
      mountPoint: '/tmp/t1',
      root: '/',
      source: '127.0.0.2:/gv0/abc/vol1',
    });
    expect(entries[2]).toMatchObject({
      mountPoint: '/var/lib/kubelet/pods/x/mount dir',
      root: '/srv/data/local/abc/vol 1',
    });
  });

  it('should pick the mount stacked last at a target', () => {
    const entries = parseMountInfo(MOUNTINFO);
    expect(topmostAt(entries, '/tmp/t1')?.root).toBe('/srv/other');
    expect(topmostAt(entries, '/tmp/t2')).toBeUndefined();
  });
});
