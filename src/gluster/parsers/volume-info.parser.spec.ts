import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVolumeInfo } from './volume-info.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/gluster/${name}.xml`, import.meta.url), 'utf8');
const HOST_UUID = '2b13153e-f3d1-49ef-9cff-744a14b58a2f';

describe(parseVolumeInfo.name, () => {
  it('should parse a one-brick volume with quota options', () => {
    expect(parseVolumeInfo(fixture('volume-info'))).toEqual([
      {
        bricks: [{ host: '127.0.0.2', hostUuid: HOST_UUID, path: '/tmp/piragua-fixture-GkIq/brick' }],
        id: '552c3d0c-fc8b-45ef-b4df-788af75be1fd',
        name: 'pfx_1796015800',
        options: {
          'features.hard-timeout': '0',
          'features.inode-quota': 'on',
          'features.quota': 'on',
          'features.quota-deem-statfs': 'on',
          'features.soft-timeout': '0',
          'nfs.disable': 'on',
          'storage.fips-mode-rchecksum': 'on',
          'transport.address-family': 'inet',
        },
        status: 'Started',
        type: 'Distribute',
      },
    ]);
  });

  it('should not list quota options before quota is enabled', () => {
    const [volume] = parseVolumeInfo(fixture('volume-info-no-quota'));
    expect(volume.options['features.quota']).toBeUndefined();
    expect(Object.keys(volume.options)).toHaveLength(3);
  });

  it('should parse several bricks in order', () => {
    const [volume] = parseVolumeInfo(fixture('volume-info-two-bricks'));
    expect(volume.bricks.map((brick) => brick.path)).toEqual([
      '/tmp/piragua-fixture-GkIq/brick2a',
      '/tmp/piragua-fixture-GkIq/brick2b',
    ]);
  });

  it('should report the type and status strings gluster prints', () => {
    expect(parseVolumeInfo(fixture('volume-info-replicate-created'))).toMatchObject([
      { status: 'Created', type: 'Replicate' },
    ]);
    expect(parseVolumeInfo(fixture('volume-info-replicate-created'))[0].bricks).toHaveLength(3);
    expect(parseVolumeInfo(fixture('volume-info-stopped'))).toMatchObject([
      { name: 'pfx2_1796015891', status: 'Stopped' },
    ]);
  });

  it('should parse every volume when no name was given', () => {
    expect(parseVolumeInfo(fixture('volume-info-all')).map((volume) => volume.name)).toEqual([
      'pfx2_1796015891',
      'pfx_1796015800',
    ]);
  });

  it('should return [] for a missing volume', () => {
    expect(parseVolumeInfo(fixture('volume-info-missing'))).toEqual([]);
  });

  it('should accept a volume without options and take host and uuid from the brick text and attribute', () => {
    const xml = `<cliOutput><opRet>0</opRet><volInfo><volumes><volume><name>v</name><id>i</id><statusStr>Started</statusStr>
      <typeStr>Distribute</typeStr><bricks><brick uuid="u1">10.0.0.1:/b/1</brick></bricks><options/></volume></volumes></volInfo></cliOutput>`;
    expect(parseVolumeInfo(xml)).toEqual([
      {
        bricks: [{ host: '10.0.0.1', hostUuid: 'u1', path: '/b/1' }],
        id: 'i',
        name: 'v',
        options: {},
        status: 'Started',
        type: 'Distribute',
      },
    ]);
  });
});
