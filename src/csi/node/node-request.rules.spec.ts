import { describe, expect, it } from 'vitest';
import { CsiNodeError } from './csi-node.errors.js';
import { checkPath, planPublish, type PublishRequest } from './node-request.rules.js';

const ID = '0123456789abcdef0123456789abcdef';
const gluster = (overrides: Partial<PublishRequest> = {}, context: Record<string, string> = {}): PublishRequest => ({
  capability: { accessMode: { mode: 5 }, mount: { fsType: '', mountFlags: [] } },
  readonly: false,
  targetPath: '/var/lib/kubelet/pods/p/volumes/kubernetes.io~csi/pv/mount',
  volumeContext: {
    backend: 'gluster',
    glusterServers: 'g1,g2,g3',
    glusterVolume: 'gv0',
    path: `${ID}/pvc_1`,
    ...context,
  },
  volumeId: ID,
  ...overrides,
});

function failure(request: PublishRequest): [string, string] {
  try {
    planPublish(request);
  } catch (error) {
    expect(error).toBeInstanceOf(CsiNodeError);
    return [(error as CsiNodeError).code, (error as CsiNodeError).message];
  }
  throw new Error('accepted');
}

describe('planPublish', () => {
  it('should plan a deep glusterfs mount with the other servers as backup volfile servers', () => {
    expect(planPublish(gluster())).toEqual({
      plan: { device: `g1:/gv0/${ID}/pvc_1`, fstype: 'glusterfs', options: ['backup-volfile-servers=g2:g3'] },
      target: '/var/lib/kubelet/pods/p/volumes/kubernetes.io~csi/pv/mount',
      volumeId: ID,
    });
    expect(planPublish(gluster({}, { glusterServers: 'g1' })).plan.options).toEqual([]);
  });

  it('should mount read-only when asked, by a reader-only mode, or by the ro flag', () => {
    expect(planPublish(gluster({ readonly: true })).plan.options).toEqual(['backup-volfile-servers=g2:g3', 'ro']);
    for (const mode of [2, 3, 'MULTI_NODE_READER_ONLY']) {
      expect(planPublish(gluster({ capability: { accessMode: { mode }, mount: {} } })).plan.options).toContain('ro');
    }
    const flagged = gluster({ capability: { accessMode: { mode: 1 }, mount: { mountFlags: ['ro', 'noatime'] } } });
    expect(planPublish(flagged).plan.options).toEqual(['backup-volfile-servers=g2:g3', 'noatime', 'ro']);
  });

  it('should plan a bind mount of the local directory', () => {
    const request = gluster({ readonly: true }, { backend: 'local', localPath: `/srv/data/local/${ID}/pvc_1` });
    expect(planPublish(request).plan).toEqual({
      device: `/srv/data/local/${ID}/pvc_1`,
      fstype: 'bind',
      options: ['ro'],
    });
  });

  it('should want every required field, as INVALID_ARGUMENT', () => {
    expect(failure(gluster({ volumeId: '' }))).toEqual(['invalid_argument', 'volume_id is required']);
    expect(failure(gluster({ targetPath: '' }))).toEqual(['invalid_argument', 'target_path is required']);
    expect(failure(gluster({ capability: null }))).toEqual(['invalid_argument', 'volume_capability is required']);
    expect(failure(gluster({ capability: { accessMode: { mode: 1 } } }))[1]).toBe(
      'volume_capability.mount is required',
    );
    expect(failure(gluster({ capability: { mount: {} } }))[1]).toContain('access_mode.mode is required');
    expect(failure(gluster({ capability: { accessMode: { mode: 99 }, mount: {} } }))[0]).toBe('invalid_argument');
    for (const key of ['backend', 'path', 'glusterServers', 'glusterVolume']) {
      expect(failure(gluster({}, { [key]: '' }))).toEqual([
        'invalid_argument',
        `volume_context.${key} is required (the controller's CreateVolume sets it)`,
      ]);
    }
    expect(failure(gluster({}, { backend: 'local' }))[1]).toContain('volume_context.localPath is required');
  });

  it('should refuse block access and foreign file systems', () => {
    expect(failure(gluster({ capability: { accessMode: { mode: 1 }, block: {} } }))[1]).toContain('block access');
    expect(failure(gluster({ capability: { accessMode: { mode: 1 }, mount: { fsType: 'ext4' } } }))[1]).toContain(
      'fs_type "ext4"',
    );
  });

  it('should answer NOT_FOUND for an id that cannot be a piragua volume', () => {
    expect(failure(gluster({ volumeId: '../../etc' }))[0]).toBe('not_found');
    expect(failure(gluster({ volumeId: 'x'.repeat(5000) }))[1].length).toBeLessThan(250);
  });

  it('should refuse path tricks in the target and in the volume context', () => {
    for (const targetPath of ['relative/mount', '/a/../etc', '/a//b', '/a/b/', '/', '/a/./b', '/a\nb', '/a\0b']) {
      expect(failure(gluster({ targetPath }))[0]).toBe('invalid_argument');
    }
    for (const path of [`${ID}/../x`, `${ID}/a/b`, `/${ID}/a`, `${ID}`, `${'f'.repeat(32)}/pvc_1`]) {
      expect(failure(gluster({}, { path }))[0]).toBe('invalid_argument');
    }
    expect(failure(gluster({}, { glusterServers: 'g1,evil:24007' }))[0]).toBe('invalid_argument');
    expect(failure(gluster({}, { glusterServers: 'g1,-o' }))[0]).toBe('invalid_argument');
    expect(failure(gluster({}, { glusterVolume: '../gv0' }))[0]).toBe('invalid_argument');
    expect(failure(gluster({}, { gid: '-1' }))[0]).toBe('invalid_argument');
    expect(failure(gluster({}, { backend: 'nfs' }))[0]).toBe('invalid_argument');
    const local = { backend: 'local' };
    expect(failure(gluster({}, { ...local, localPath: `/srv/../etc/${ID}/pvc_1` }))[0]).toBe('invalid_argument');
    expect(failure(gluster({}, { ...local, localPath: '/etc' }))[1]).toContain(`must end with /${ID}/pvc_1`);
  });
});

describe('checkPath', () => {
  it('should accept the long paths kubelet makes', () => {
    const path = `/var/lib/kubelet/pods/${'p'.repeat(36)}/volumes/kubernetes.io~csi/${'v'.repeat(200)}/mount`;
    expect(checkPath(path, 'target_path')).toBe(path);
  });
});
