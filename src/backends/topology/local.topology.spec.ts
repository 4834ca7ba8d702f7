import { Logger } from '@nestjs/common';
import { isIPv4 } from 'node:net';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { ErrorCode } from '../common/piragua.error.js';
import { GIB, VolumeRecord } from './gluster.types.js';
import { LocalGateway } from './local.gateway.js';
import { VolumeTree } from './volume-tree.js';

const ID_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ID_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const UNKNOWN_CLUSTER = 'ffffffffffffffffffffffffffffffff';

/** Runs `call` so that a synchronous throw and a rejection look the same. */
function settle<T>(call: () => Promise<T> | T): Promise<T> {
  return (async () => call())();
}

describe(LocalGateway.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  let dataDir: string;
  let gateways: LocalGateway[];

  async function start(volumeName = 'gv0'): Promise<LocalGateway> {
    const gateway = new LocalGateway(appConfig({ PIRAGUA_DATA_DIR: dataDir, PIRAGUA_LOCAL_VOLUME_NAME: volumeName }));
    gateways.push(gateway);
    await gateway.onModuleInit();
    return gateway;
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'piragua-local-'));
    gateways = [];
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    gateways.forEach((gateway) => gateway.onModuleDestroy());
    await rm(dataDir, { force: true, recursive: true });
  });

  describe('onModuleInit', () => {
    it('should report no cluster before it has run', () => {
      const sut = new LocalGateway(appConfig({ PIRAGUA_DATA_DIR: dataDir }));

      expect(sut.clusters()).toEqual([]);
    });

    it('should present the data directory as one cluster with one node and one device', async () => {
      const sut = await start();

      const [cluster, ...others] = sut.clusters();
      expect(others).toEqual([]);
      expect(cluster).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        volumeName: 'gv0',
        volumeType: 'local',
      });
      expect(cluster.nodes).toHaveLength(1);
      const node = cluster.nodes[0];
      expect(node).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), state: 'online' });
      expect(isIPv4(node.storageAddress)).toBe(true);
      expect(node.devices).toHaveLength(1);
      expect(node.devices[0]).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        name: join(dataDir, 'gv0'),
        state: 'online',
      });
      expect(new Set([cluster.id, node.id, node.devices[0].id]).size).toBe(3);
    });

    it('should size the cluster from the file system it lives on', async () => {
      const device = (await start()).clusters()[0].nodes[0].devices[0];

      expect(device.totalKiB).toBeGreaterThan(0);
      expect(device.freeKiB).toBeGreaterThan(0);
      expect(device.freeKiB).toBeLessThanOrEqual(device.totalKiB);
      expect((await start()).clusters()[0].capacityBytes).toBe(device.totalKiB * 1024);
    });

    it('should keep the same ids when it starts again on the same directory', async () => {
      const first = (await start()).clusters()[0];
      const again = (await start()).clusters()[0];

      expect(again.id).toBe(first.id);
      expect(again.nodes[0].id).toBe(first.nodes[0].id);
      expect(again.nodes[0].devices[0].id).toBe(first.nodes[0].devices[0].id);
    });

    it('should give another volume directory other ids', async () => {
      const gv0 = (await start('gv0')).clusters()[0];
      const gv1 = (await start('gv1')).clusters()[0];

      expect(gv1.id).not.toBe(gv0.id);
      expect(gv1.volumeName).toBe('gv1');
    });

    it('should make the state directories under the volume directory', async () => {
      await start();

      expect((await readdir(join(dataDir, 'gv0', '.piragua'))).sort()).toEqual(
        expect.arrayContaining([
          'cluster-id',
          'device-id',
          'local-quotas',
          'names',
          'node-id',
          'operations',
          'trash',
          'volumes',
        ]),
      );
    });
  });

  describe('cluster checks', () => {
    it('should allow provisioning on its own cluster', async () => {
      const sut = await start();

      expect(() => sut.assertCanProvision(sut.clusters()[0].id)).not.toThrow();
    });

    it.each([
      ['assertCanProvision', (sut: LocalGateway) => sut.assertCanProvision(UNKNOWN_CLUSTER)],
      ['claimName', (sut: LocalGateway) => sut.claimName(UNKNOWN_CLUSTER, 'data', ID_A)],
      ['createVolumeDirectory', (sut: LocalGateway) => sut.createVolumeDirectory(UNKNOWN_CLUSTER, ID_A, 'data')],
      ['loadVolumes', (sut: LocalGateway) => sut.loadVolumes(UNKNOWN_CLUSTER)],
      ['setQuota', (sut: LocalGateway) => sut.setQuota(UNKNOWN_CLUSTER, ID_A, GIB)],
      ['readQuota', (sut: LocalGateway) => sut.readQuota(UNKNOWN_CLUSTER, ID_A)],
      ['removeQuota', (sut: LocalGateway) => sut.removeQuota(UNKNOWN_CLUSTER, ID_A)],
      ['quotaUsage', (sut: LocalGateway) => sut.quotaUsage(UNKNOWN_CLUSTER)],
      ['quotaLimits', (sut: LocalGateway) => sut.quotaLimits(UNKNOWN_CLUSTER)],
      ['directoryLimits', (sut: LocalGateway) => sut.directoryLimits(UNKNOWN_CLUSTER, [ID_A])],
    ])('should answer Cluster id … not found from %s for another cluster', async (_method, call) => {
      const sut = await start();

      await expect(settle(() => call(sut))).rejects.toMatchObject({
        code: ErrorCode.NotFound,
        message: `Cluster id ${UNKNOWN_CLUSTER} not found`,
      });
    });
  });

  describe('quotas', () => {
    it('should set, read back and remove a quota', async () => {
      const sut = await start();
      const clusterId = sut.clusters()[0].id;

      await sut.setQuota(clusterId, ID_A, 5 * GIB);

      expect(await sut.readQuota(clusterId, ID_A)).toBe(5 * GIB);

      await sut.removeQuota(clusterId, ID_A);

      expect(await sut.readQuota(clusterId, ID_A)).toBeUndefined();
    });

    it('should replace a quota that is set again', async () => {
      const sut = await start();
      const clusterId = sut.clusters()[0].id;
      await sut.setQuota(clusterId, ID_A, 5 * GIB);

      await sut.setQuota(clusterId, ID_A, 7 * GIB);

      expect(await sut.readQuota(clusterId, ID_A)).toBe(7 * GIB);
    });

    it('should read no quota for a volume without one, and accept removing it', async () => {
      const sut = await start();
      const clusterId = sut.clusters()[0].id;

      expect(await sut.readQuota(clusterId, ID_B)).toBeUndefined();
      await expect(sut.removeQuota(clusterId, ID_B)).resolves.toBeUndefined();
    });

    it('should keep quotas across a restart', async () => {
      const clusterId = (await start()).clusters()[0].id;
      await gateways[0].setQuota(clusterId, ID_A, 3 * GIB);

      expect(await (await start()).readQuota(clusterId, ID_A)).toBe(3 * GIB);
    });

    it('should report each limit with the bytes used below the volume', async () => {
      const sut = await start();
      const clusterId = sut.clusters()[0].id;
      await sut.createVolumeDirectory(clusterId, ID_A, 'data');
      await writeFile(join(dataDir, 'gv0', ID_A, 'data', 'file'), Buffer.alloc(4096));
      await sut.setQuota(clusterId, ID_A, 2 * GIB);
      await sut.setQuota(clusterId, ID_B, GIB);

      expect(await sut.quotaUsage(clusterId)).toEqual(
        new Map([
          [ID_A, { limitBytes: 2 * GIB, usedBytes: 4096 }],
          [ID_B, { limitBytes: GIB, usedBytes: 0 }],
        ]),
      );

      await sut.removeQuota(clusterId, ID_A);

      expect([...(await sut.quotaUsage(clusterId)).keys()]).toEqual([ID_B]);
    });

    it('should list the recorded limits, and those of given directories, without summing any file', async () => {
      const sut = await start();
      const clusterId = sut.clusters()[0].id;
      await sut.createVolumeDirectory(clusterId, ID_A, 'data');
      await writeFile(join(dataDir, 'gv0', ID_A, 'data', 'file'), Buffer.alloc(4096));
      await sut.setQuota(clusterId, ID_A, 2 * GIB);
      await sut.setQuota(clusterId, ID_B, GIB);
      const summed = vi.spyOn(VolumeTree.prototype, 'usedBytes');

      expect(await sut.quotaLimits(clusterId)).toEqual(
        new Map([
          [ID_A, 2 * GIB],
          [ID_B, GIB],
        ]),
      );
      const read = vi.spyOn(sut, 'readQuota');
      expect(await sut.directoryLimits(clusterId, [ID_B, 'cccccccccccccccccccccccccccccccc'])).toEqual(
        new Map([[ID_B, GIB]]),
      );
      expect(read.mock.calls).toEqual([
        [clusterId, ID_B],
        [clusterId, 'cccccccccccccccccccccccccccccccc'],
      ]);
      expect(summed).not.toHaveBeenCalled();
    });
  });

  describe('the volume tree through the gateway', () => {
    it('should create, record, list, trash and purge a volume', async () => {
      const sut = await start();
      const clusterId = sut.clusters()[0].id;
      const record: VolumeRecord = {
        clusterId,
        createdAt: '2026-01-01T00:00:00.000Z',
        durability: { disperse: {}, replicate: {}, type: 'none' },
        id: ID_A,
        name: 'data',
        sizeGiB: 1,
        snapshot: { enable: false, factor: 1 },
        state: 'ready',
      };

      expect(await sut.claimName(clusterId, 'data', ID_A)).toBe(true);
      expect(await sut.claimName(clusterId, 'data', ID_B)).toBe(false);
      await sut.createVolumeDirectory(clusterId, ID_A, 'data', 3000);
      await sut.saveVolume(record);

      expect(await sut.loadNames(clusterId)).toEqual(new Map([['data', ID_A]]));
      expect(await sut.listVolumeDirectories(clusterId)).toEqual([ID_A]);
      expect(await sut.loadVolumes(clusterId)).toEqual([record]);
      expect(await sut.loadVolume(clusterId, ID_A)).toEqual(record);
      expect((await stat(join(dataDir, 'gv0', ID_A, 'data'))).gid).toBe(3000);

      await sut.trashVolumeDirectory(clusterId, ID_A);
      await sut.releaseName(clusterId, 'data', ID_A);
      await sut.removeVolume(clusterId, ID_A);

      expect(await sut.loadVolumes(clusterId)).toEqual([]);
      expect(await sut.listVolumeDirectories(clusterId)).toEqual([]);
      expect(await sut.loadNames(clusterId)).toEqual(new Map());
      expect(await sut.purgeTrash(clusterId)).toBe(1);
    });

    it('should round-trip operations', async () => {
      const sut = await start();
      const clusterId = sut.clusters()[0].id;
      const operation = {
        clusterId,
        id: ID_B,
        incarnation: 'inc-1',
        kind: 'create' as const,
        owner: 'spec',
        startedAt: '2026-01-01T00:00:00.000Z',
        state: 'pending' as const,
        volumeId: ID_A,
      };

      await sut.saveOperation(operation);

      expect(await sut.loadOperation(clusterId, ID_B)).toEqual(operation);
      expect(await sut.loadOperations(clusterId)).toEqual([operation]);

      await sut.removeOperation(clusterId, ID_B);

      expect(await sut.loadOperations(clusterId)).toEqual([]);
    });

    it('should lock a volume for one operation at a time, across gateways on the same data', async () => {
      const sut = await start();
      const other = await start();
      const clusterId = sut.clusters()[0].id;

      expect(await sut.lockVolume(clusterId, ID_A, ID_B)).toBe(true);
      expect(await other.lockVolume(clusterId, ID_A, UNKNOWN_CLUSTER)).toBe(false);
      expect(await other.volumeLockHolder(clusterId, ID_A)).toBe(ID_B);

      await other.unlockVolume(clusterId, ID_A, UNKNOWN_CLUSTER);
      expect(await sut.volumeLockHolder(clusterId, ID_A)).toBe(ID_B);
      await sut.unlockVolume(clusterId, ID_A, ID_B);

      expect(await sut.volumeLockHolder(clusterId, ID_A)).toBeUndefined();
      expect(await other.lockVolume(clusterId, ID_A, UNKNOWN_CLUSTER)).toBe(true);
    });

    it('should round-trip heartbeats', async () => {
      const sut = await start();
      const clusterId = sut.clusters()[0].id;
      const heartbeat = {
        heartbeatAt: '2026-01-01T00:00:05.000Z',
        incarnation: 'inc-1',
        instanceId: 'spec',
        pid: 42,
        startedAt: '2026-01-01T00:00:00.000Z',
      };

      await sut.saveHeartbeat(clusterId, heartbeat);

      expect(await sut.loadHeartbeats(clusterId)).toEqual([heartbeat]);
    });
  });

  describe('probe', () => {
    it('should report a writable data directory as healthy', async () => {
      const sut = await start();

      expect(sut.probeNames()).toEqual(['backend']);
      expect(await sut.probe()).toEqual({ details: { path: join(dataDir, 'gv0') }, ok: true });
    });
  });
});
