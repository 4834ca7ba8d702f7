import { Logger } from '@nestjs/common';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeQuotaContract } from '../../../test/contracts/quota-backend.contract.js';
import { appConfig } from '../../../test/factories/app-config.factory.js';
import { ErrorCode } from '../../common/piragua.error.js';
import { GIB } from '../backend.types.js';
import { FileStateStore } from '../state/file.state-store.js';
import { LocalTopology } from '../topology/local.topology.js';
import { LocalQuotas } from './local.quotas.js';

const ID_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ID_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** Runs `call` so that a synchronous throw and a rejection look the same. */
function settle<T>(call: () => Promise<T>): Promise<T> {
  return (async () => call())();
}

describe(LocalQuotas.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  let dataDir: string;
  let root: string;
  let topology: LocalTopology;
  let store: FileStateStore;
  let clusterId: string;

  /** The local backend on a fresh data directory; `before` runs on it first, as an earlier version left it. */
  async function start(before?: (root: string) => Promise<void>): Promise<LocalQuotas> {
    dataDir = await mkdtemp(join(tmpdir(), 'piragua-quotas-'));
    root = join(dataDir, 'local');
    await before?.(root);
    topology = new LocalTopology(appConfig({ PIRAGUA_DATA_DIR: dataDir }));
    await topology.onModuleInit();
    clusterId = topology.clusters()[0].id;
    store = new FileStateStore(topology);
    await store.onModuleInit();
    const quotas = new LocalQuotas(topology);
    await quotas.onModuleInit();
    return quotas;
  }

  const stop = async () => {
    vi.restoreAllMocks();
    topology?.onModuleDestroy();
    await rm(dataDir, { force: true, recursive: true });
  };

  describeQuotaContract('LocalQuotas', async () => {
    const quotas = await start();
    return { cleanup: stop, clusterId, quotas, store };
  });

  describe('in the data directory', () => {
    let sut: LocalQuotas;

    beforeEach(async () => {
      sut = await start();
    });

    afterEach(stop);

    it('should record the limit in the directory itself, which a new instance reads', async () => {
      await store.createVolumeDirectory(clusterId, ID_A, 'data');

      await sut.setQuota(clusterId, ID_A, 3 * GIB);

      expect(await readFile(join(root, ID_A, '.piragua-quota'), 'utf8')).toBe(String(3 * GIB));
      expect(await new LocalQuotas(topology).readQuota(clusterId, ID_A)).toBe(3 * GIB);
    });

    it('should count the bytes of every file below a limited directory, but not its limit file', async () => {
      await store.createVolumeDirectory(clusterId, ID_A, 'data');
      await store.createVolumeDirectory(clusterId, ID_B, 'data');
      await mkdir(join(root, ID_A, 'data', 'nested'));
      await writeFile(join(root, ID_A, 'data', 'a'), Buffer.alloc(1000));
      await writeFile(join(root, ID_A, 'data', 'nested', 'b'), Buffer.alloc(24));
      await sut.setQuota(clusterId, ID_A, 2 * GIB);
      await sut.setQuota(clusterId, ID_B, GIB);

      expect(await sut.quotaUsage(clusterId, [ID_A, ID_B])).toEqual(
        new Map([
          [ID_A, { limitBytes: 2 * GIB, usedBytes: 1024 }],
          [ID_B, { limitBytes: GIB, usedBytes: 0 }],
        ]),
      );
    });

    it('should read limits one directory at a time, never summing a file', async () => {
      await store.createVolumeDirectory(clusterId, ID_A, 'data');
      await writeFile(join(root, ID_A, 'data', 'file'), Buffer.alloc(4096));
      await sut.setQuota(clusterId, ID_A, 2 * GIB);
      const read = vi.spyOn(sut, 'readQuota');

      expect(await sut.directoryLimits(clusterId, [ID_A, ID_B])).toEqual(new Map([[ID_A, 2 * GIB]]));
      expect(await sut.quotaLimits(clusterId)).toEqual(new Map([[ID_A, 2 * GIB]]));
      expect(read.mock.calls).toEqual([
        [clusterId, ID_A],
        [clusterId, ID_B],
        [clusterId, ID_A],
      ]);
    });

    it('should reject every call for a cluster it does not serve with Cluster id … not found', async () => {
      const unknown = 'ffffffffffffffffffffffffffffffff';

      const calls: (() => Promise<unknown>)[] = [
        () => sut.setQuota(unknown, ID_A, GIB),
        () => sut.readQuota(unknown, ID_A),
        () => sut.removeQuota(unknown, ID_A),
        () => sut.quotaUsage(unknown, [ID_A]),
        () => sut.directoryLimits(unknown, [ID_A]),
        () => sut.quotaLimits(unknown),
      ];
      for (const call of calls) {
        await expect(settle(call)).rejects.toMatchObject({
          code: ErrorCode.NotFound,
          message: `Cluster id ${unknown} not found`,
        });
      }
    });
  });

  describe('limits recorded in .piragua/local-quotas by earlier versions', () => {
    afterEach(stop);

    it('should move each into its directory at start, drop those of missing directories, and remove the old place', async () => {
      const sut = await start(async (root) => {
        await mkdir(join(root, '.piragua', 'local-quotas'), { recursive: true });
        await mkdir(join(root, ID_A, 'data'), { recursive: true });
        await writeFile(join(root, '.piragua', 'local-quotas', ID_A), String(5 * GIB));
        await writeFile(join(root, '.piragua', 'local-quotas', ID_B), String(GIB));
      });

      expect(await sut.readQuota(clusterId, ID_A)).toBe(5 * GIB);
      expect(await sut.quotaLimits(clusterId)).toEqual(new Map([[ID_A, 5 * GIB]]));
      expect(await readdir(join(root, '.piragua'))).not.toContain('local-quotas');
    });

    it('should start on a data directory that never had any', async () => {
      const sut = await start();

      await expect(sut.onModuleInit()).resolves.toBeUndefined();
      expect(await sut.quotaLimits(clusterId)).toEqual(new Map());
    });
  });
});
