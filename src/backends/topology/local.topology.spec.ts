import { Logger } from '@nestjs/common';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeTopologyContract } from '../../../test/contracts/topology-backend.contract.js';
import { appConfig } from '../../../test/factories/app-config.factory.js';
import { ErrorCode } from '../../common/piragua.error.js';
import { LocalTopology } from './local.topology.js';

describe(LocalTopology.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  let dataDir: string;
  let started: LocalTopology[];

  async function start(volumeName = 'gv0'): Promise<LocalTopology> {
    const topology = new LocalTopology(appConfig({ PIRAGUA_DATA_DIR: dataDir, PIRAGUA_LOCAL_VOLUME_NAME: volumeName }));
    started.push(topology);
    await topology.onModuleInit();
    return topology;
  }

  const stopAll = async () => {
    started.forEach((topology) => topology.onModuleDestroy());
    await rm(dataDir, { force: true, recursive: true });
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'piragua-local-'));
    started = [];
  });

  describeTopologyContract('LocalTopology', async () => ({
    cleanup: stopAll,
    restart: () => start(),
    topology: await start(),
    volumeName: 'gv0',
  }));

  describe('on a data directory', () => {
    afterEach(stopAll);

    it('should report no cluster before it has started', () => {
      expect(new LocalTopology(appConfig({ PIRAGUA_DATA_DIR: dataDir })).clusters()).toEqual([]);
    });

    it('should present the data directory as one cluster with one node and one device, each with its own id', async () => {
      const [cluster] = (await start()).clusters();

      expect(cluster).toMatchObject({ volumeName: 'gv0', volumeType: 'local' });
      expect(cluster.nodes).toHaveLength(1);
      const node = cluster.nodes[0];
      expect(node).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), state: 'online' });
      expect(isIPv4(node.storageAddress)).toBe(true);
      expect(node.devices).toEqual([
        expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f]{32}$/), name: join(dataDir, 'gv0') }),
      ]);
      expect(new Set([cluster.id, node.id, node.devices[0].id]).size).toBe(3);
    });

    it('should size the cluster from the file system it lives on', async () => {
      const [cluster] = (await start()).clusters();
      const device = cluster.nodes[0].devices[0];

      expect(device.totalKiB).toBeGreaterThan(0);
      expect(device.freeKiB).toBeGreaterThan(0);
      expect(device.freeKiB).toBeLessThanOrEqual(device.totalKiB);
      expect(cluster.capacityBytes).toBe(device.totalKiB * 1024);
    });

    it('should keep its ids in .piragua, the same for every instance started at once', async () => {
      const [first, second] = await Promise.all([start(), start()]);
      const [a, b] = [first.clusters()[0], second.clusters()[0]];

      expect(b.id).toBe(a.id);
      expect(b.nodes[0].id).toBe(a.nodes[0].id);
      expect(b.nodes[0].devices[0].id).toBe(a.nodes[0].devices[0].id);
      expect((await readFile(join(dataDir, 'gv0', '.piragua', 'cluster-id'), 'utf8')).trim()).toBe(a.id);
      expect((await readdir(join(dataDir, 'gv0', '.piragua'))).sort()).toEqual(['cluster-id', 'device-id', 'node-id']);
    });

    it('should give another volume directory other ids', async () => {
      const gv0 = (await start('gv0')).clusters()[0];
      const gv1 = (await start('gv1')).clusters()[0];

      expect(gv1.id).not.toBe(gv0.id);
      expect(gv1.volumeName).toBe('gv1');
    });

    it('should refuse provisioning on another cluster', async () => {
      const sut = await start();

      expect(() => sut.assertCanProvision('ffffffffffffffffffffffffffffffff')).toThrow(
        expect.objectContaining({ code: ErrorCode.NotFound }),
      );
    });

    it('should probe that the data directory is writable, and report when it is not', async () => {
      const sut = await start();

      expect(sut.probeNames()).toEqual(['backend']);
      expect(await sut.probe()).toEqual({ details: { path: join(dataDir, 'gv0') }, ok: true });

      await rm(join(dataDir, 'gv0', '.piragua'), { recursive: true });

      expect(await sut.probe()).toEqual({ ok: false, problem: 'data directory is not writable: ENOENT' });
    });
  });
});
