import { Logger } from '@nestjs/common';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeVolumeStateContract } from '../../../test/contracts/volume-state.contract.js';
import { appConfig } from '../../../test/factories/app-config.factory.js';
import { heartbeat, operationRecord, volumeRecord } from '../../../test/factories/records.factory.js';
import { ErrorCode } from '../../common/piragua.error.js';
import { LocalTopology } from '../topology/local.topology.js';
import { FileStateStore } from './file.state-store.js';

const ID_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ID_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const OP_ID = '0123456789abcdef0123456789abcdef';

/** Runs `call` so that a synchronous throw and a rejection look the same. */
function settle<T>(call: () => Promise<T>): Promise<T> {
  return (async () => call())();
}

/** A FileStateStore over a LocalTopology on a fresh temp directory, as the local backend wires them. */
async function startLocal(): Promise<{
  clusterId: string;
  root: string;
  stop: () => Promise<void>;
  store: FileStateStore;
  topology: LocalTopology;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'piragua-state-'));
  const topology = new LocalTopology(appConfig({ PIRAGUA_DATA_DIR: dataDir }));
  await topology.onModuleInit();
  const store = new FileStateStore(topology);
  await store.onModuleInit();
  const clusterId = topology.clusters()[0].id;
  const stop = async () => {
    topology.onModuleDestroy();
    await rm(dataDir, { force: true, recursive: true });
  };
  return { clusterId, root: topology.volumeRoot(clusterId), stop, store, topology };
}

describe(FileStateStore.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  describeVolumeStateContract('FileStateStore on a local directory', async () => {
    const { clusterId, stop, store, topology } = await startLocal();
    return { another: () => new FileStateStore(topology), cleanup: stop, clusterId, store };
  });

  describe('on the file system', () => {
    let root: string;
    let clusterId: string;
    let sut: FileStateStore;
    let stop: () => Promise<void>;

    beforeEach(async () => {
      ({ clusterId, root, stop, store: sut } = await startLocal());
    });

    afterEach(async () => {
      await stop();
    });

    it('should make the state directories under .piragua, and be safe to start again', async () => {
      await sut.onModuleInit();

      expect((await readdir(join(root, '.piragua'))).filter((entry) => !entry.endsWith('-id')).sort()).toEqual([
        'changes',
        'instances',
        'locks',
        'names',
        'operations',
        'pool',
        'pool-new',
        'trash',
        'volumes',
      ]);
    });

    it('should keep names and locks as markers in their own directories', async () => {
      await sut.claimName(clusterId, ID_A, ID_B);
      await sut.lockVolume(clusterId, ID_A, OP_ID);

      expect(await readdir(join(root, '.piragua', 'names'))).toEqual([ID_A]);
      expect(await readdir(join(root, '.piragua', 'locks'))).toEqual([ID_A]);
    });

    it('should make <id>/<name> owned by the gid with mode 2775, so that files inside inherit the group', async () => {
      await sut.createVolumeDirectory(clusterId, ID_A, 'data', 4321);
      await writeFile(join(root, ID_A, 'data', 'file'), 'x');

      const info = await stat(join(root, ID_A, 'data'));
      expect(info.gid).toBe(4321);
      expect(info.mode & 0o7777).toBe(0o2775);
      expect((await stat(join(root, ID_A, 'data', 'file'))).gid).toBe(4321);
    });

    it('should keep the creator group and still set 2775 without a gid', async () => {
      await sut.createVolumeDirectory(clusterId, ID_A, 'data');

      const info = await stat(join(root, ID_A, 'data'));
      expect(info.gid).toBe((await stat(root)).gid);
      expect(info.mode & 0o7777).toBe(0o2775);
      expect((await sut.inspectVolumeDirectory(clusterId, ID_A))?.gid).toBe(info.gid);
    });

    it('should make the volume directory inside a claimed pooled one with mode 2775', async () => {
      await sut.finishPooledDirectory(clusterId, await sut.beginPooledDirectory(clusterId, 'node-1'), 1);
      await sut.claimPooledDirectory(clusterId, 1, ID_A);

      await sut.createVolumeDirectory(clusterId, ID_A, 'data', undefined, true);

      expect((await stat(join(root, ID_A, 'data'))).mode & 0o7777).toBe(0o2775);
    });

    it('should list only well-named volume directories', async () => {
      const legacy = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
      await sut.createVolumeDirectory(clusterId, ID_A, 'data');
      await mkdir(join(root, legacy));
      await mkdir(join(root, 'lost+found'));
      await mkdir(join(root, ID_B.toUpperCase()));
      await mkdir(join(root, 'a'.repeat(31)));

      expect((await sut.listVolumeDirectories(clusterId)).sort()).toEqual([ID_A, legacy].sort());
    });

    it('should trash a directory whole as .piragua/trash/<id>.<ms>', async () => {
      await sut.createVolumeDirectory(clusterId, ID_A, 'data');
      await writeFile(join(root, ID_A, 'data', 'file'), 'payload');

      await sut.trashVolumeDirectory(clusterId, ID_A);

      const [entry] = await sut.trashEntries(clusterId);
      expect(entry).toMatch(new RegExp(`^\\.piragua/trash/${ID_A}\\.\\d+$`));
      expect(await readFile(join(root, entry, 'data', 'file'), 'utf8')).toBe('payload');
    });

    it('should begin pooled directories under .piragua/pool-new and pool them under .piragua/pool/<GiB>', async () => {
      const path = await sut.beginPooledDirectory(clusterId, 'node-1');

      expect(path).toMatch(/^\.piragua\/pool-new\/node-1@[0-9a-f]{16}$/);
      expect((await stat(join(root, path))).isDirectory()).toBe(true);

      await sut.finishPooledDirectory(clusterId, path, 5);

      expect(await readdir(join(root, '.piragua', 'pool-new'))).toEqual([]);
      expect(await readdir(join(root, '.piragua', 'pool', '5'))).toHaveLength(1);
    });

    it('should keep records in .piragua/volumes, outside the volume directory, replaced atomically', async () => {
      await sut.createVolumeDirectory(clusterId, ID_A, 'data');
      await sut.saveVolume(volumeRecord({ clusterId, id: ID_A, name: 'data', state: 'creating' }));

      await sut.saveVolume(volumeRecord({ clusterId, id: ID_A, name: 'data' }));

      expect(await readdir(join(root, '.piragua', 'volumes'))).toEqual([`${ID_A}.json`]);
      expect(await readdir(join(root, ID_A))).toEqual(['data']);
    });

    it('should load only well-named records', async () => {
      const record = volumeRecord({ clusterId, id: ID_A });
      await sut.saveVolume(record);
      const volumes = join(root, '.piragua', 'volumes');
      await writeFile(join(volumes, 'notes.txt'), 'x');
      await writeFile(join(volumes, 'not-an-id.json'), JSON.stringify(volumeRecord({ id: 'not-an-id' })));
      await writeFile(join(volumes, `${ID_B.toUpperCase()}.json`), JSON.stringify(record));
      await writeFile(join(volumes, `${ID_B}.json.tmp-0000`), '{');
      await mkdir(join(volumes, 'lost+found'));

      expect(await sut.loadVolumes(clusterId)).toEqual([record]);
    });

    it.each([ID_B, '../etc', ID_B.toUpperCase(), '.piragua'])('should find no record for %j', async (id) => {
      expect(await sut.loadVolume(clusterId, id)).toBeUndefined();
    });

    it('should replace an operation atomically and ignore files that are not operation records', async () => {
      const operation = operationRecord({ clusterId, id: OP_ID });
      await sut.saveOperation(operation);
      await sut.saveOperation(operation);
      expect(await readdir(join(root, '.piragua', 'operations'))).toEqual([`${OP_ID}.json`]);
      await writeFile(join(root, '.piragua', 'operations', 'notes.txt'), 'x');
      await writeFile(join(root, '.piragua', 'operations', `${OP_ID}.json.tmp-0000`), '{');
      await writeFile(join(root, '.piragua', 'operations', 'not-an-id.json'), '{}');

      expect(await sut.loadOperations(clusterId)).toEqual([operation]);
      expect(await sut.loadOperation(clusterId, '../../x')).toBeUndefined();
    });

    it('should keep one heartbeat file per instance and skip files that are not heartbeats, or torn ones', async () => {
      const beat = heartbeat({ heartbeatAt: '2026-01-01T00:00:05.000Z', instanceId: 'spec-1' });
      await sut.saveHeartbeat(clusterId, beat);
      await sut.saveHeartbeat(clusterId, beat);
      expect(await readdir(join(root, '.piragua', 'instances'))).toEqual(['spec-1.json']);
      await writeFile(join(root, '.piragua', 'instances', 'notes.txt'), 'x');
      await writeFile(join(root, '.piragua', 'instances', 'torn.json'), '{');

      expect(await sut.loadHeartbeats(clusterId)).toEqual([beat]);
    });

    it('should reject any call for a cluster it does not serve with Cluster id … not found', async () => {
      const unknown = 'ffffffffffffffffffffffffffffffff';

      const calls: (() => Promise<unknown>)[] = [
        () => sut.claimName(unknown, 'data', ID_A),
        () => sut.createVolumeDirectory(unknown, ID_A, 'data'),
        () => sut.loadVolumes(unknown),
      ];
      for (const call of calls) {
        await expect(settle(call)).rejects.toMatchObject({ code: ErrorCode.NotFound });
      }
    });
  });
});
