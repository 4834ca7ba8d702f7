import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVolumeStatusDetail } from './volume-status.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/gluster/${name}.xml`, import.meta.url), 'utf8');
const PEER = '2b13153e-f3d1-49ef-9cff-744a14b58a2f';

describe(parseVolumeStatusDetail.name, () => {
  it('should parse an online brick with its sizes in bytes', () => {
    expect(parseVolumeStatusDetail(fixture('volume-status-detail'))).toEqual([
      {
        hostname: '127.0.0.2',
        online: true,
        path: '/tmp/piragua-fixture-GkIq/brick',
        peerId: PEER,
        sizeFreeBytes: 246926004224,
        sizeTotalBytes: 270553174016,
      },
    ]);
  });

  it('should report a killed brick as offline but keep its sizes', () => {
    expect(parseVolumeStatusDetail(fixture('volume-status-detail-brick-offline'))).toMatchObject([
      { online: false, sizeFreeBytes: 246922723328, sizeTotalBytes: 270553174016 },
    ]);
  });

  it('should parse several bricks', () => {
    expect(parseVolumeStatusDetail(fixture('volume-status-detail-two-bricks')).map((brick) => brick.path)).toEqual([
      '/tmp/piragua-fixture-GkIq/brick2a',
      '/tmp/piragua-fixture-GkIq/brick2b',
    ]);
    expect(parseVolumeStatusDetail(fixture('volume-status-detail-replicate'))).toHaveLength(3);
  });

  it('should return [] for a stopped or missing volume', () => {
    expect(parseVolumeStatusDetail(fixture('volume-status-detail-stopped'))).toEqual([]);
    expect(parseVolumeStatusDetail(fixture('volume-status-detail-missing'))).toEqual([]);
  });

  it('should leave out daemons that are not bricks', () => {
    const xml = `<cliOutput><opRet>0</opRet><volStatus><volumes><volume><volName>v</volName>
      <node><hostname>h</hostname><path>/b</path><peerid>p</peerid><status>1</status><sizeTotal>10</sizeTotal><sizeFree>4</sizeFree></node>
      <node><hostname>Self-heal Daemon</hostname><path>localhost</path><peerid>p</peerid><status>1</status></node>
    </volume></volumes></volStatus></cliOutput>`;
    expect(parseVolumeStatusDetail(xml)).toEqual([
      { hostname: 'h', online: true, path: '/b', peerId: 'p', sizeFreeBytes: 4, sizeTotalBytes: 10 },
    ]);
  });
});
