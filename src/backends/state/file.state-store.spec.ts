import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Heartbeat, OperationRecord, VolumeRecord } from './gluster.types.js';
import { VolumeTree } from './volume-tree.js';

const ID_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ID_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const OP_ID = '0123456789abcdef0123456789abcdef';
const OP_OTHER = 'fedcba9876543210fedcba9876543210';

function volumeRecord(overrides: Partial<VolumeRecord> = {}): VolumeRecord {
  return {
    clusterId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
    createdAt: '2026-01-01T00:00:00.000Z',
    durability: { disperse: {}, replicate: { replica: 3 }, type: 'replicate' },
    gid: 2001,
    id: ID_A,
    name: `vol_${ID_A}`,
    sizeGiB: 5,
    snapshot: { enable: true, factor: 1 },
    state: 'ready',
    ...overrides,
  };
}

function operationRecord(overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    clusterId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
    id: OP_ID,
    incarnation: 'inc-1',
    kind: 'create',
    owner: 'spec-instance',
    startedAt: '2026-01-01T00:00:00.000Z',
    state: 'pending',
    volumeId: ID_A,
    ...overrides,
  };
}

describe(VolumeTree.name, () => {
  let root: string;
  let sut: VolumeTree;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'piragua-tree-'));
    sut = new VolumeTree(root);
    await sut.prepare();
  });

  afterEach(async () => {
    await rm(root, { force: true, recursive: true });
  });

  describe('prepare', () => {
    it('should make the state directories, and be safe to repeat', async () => {
      await sut.prepare();

      expect((await readdir(join(root, '.piragua'))).sort()).toEqual([
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
  });

  describe('readOrCreateId', () => {
    it('should make a 32-hex id once and return it ever after', async () => {
      const first = await sut.readOrCreateId('cluster-id');

      expect(first).toMatch(/^[0-9a-f]{32}$/);
      expect(await sut.readOrCreateId('cluster-id')).toBe(first);
      expect(await new VolumeTree(root).readOrCreateId('cluster-id')).toBe(first);
      expect((await readFile(join(root, '.piragua', 'cluster-id'), 'utf8')).trim()).toBe(first);
    });

    it('should keep different ids in different files', async () => {
      expect(await sut.readOrCreateId('node-id')).not.toBe(await sut.readOrCreateId('device-id'));
    });

    it('should give concurrent callers the same id', async () => {
      const ids = await Promise.all([
        sut.readOrCreateId('x'),
        new VolumeTree(root).readOrCreateId('x'),
        sut.readOrCreateId('x'),
      ]);

      expect(new Set(ids).size).toBe(1);
      expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    });
  });

  describe('claimName', () => {
    it('should reserve a free name for the volume', async () => {
      expect(await sut.claimName('data', ID_A)).toBe(true);
      expect(await sut.nameOwner('data')).toBe(ID_A);
    });

    it('should be idempotent for the owner', async () => {
      await sut.claimName('data', ID_A);

      expect(await sut.claimName('data', ID_A)).toBe(true);
    });

    it('should refuse a name another volume holds', async () => {
      await sut.claimName('data', ID_A);

      expect(await sut.claimName('data', ID_B)).toBe(false);
      expect(await sut.nameOwner('data')).toBe(ID_A);
    });

    it('should let exactly one of two concurrent claims win', async () => {
      const [a, b] = await Promise.all([sut.claimName('data', ID_A), new VolumeTree(root).claimName('data', ID_B)]);

      expect([a, b].filter(Boolean)).toHaveLength(1);
      expect(await sut.nameOwner('data')).toBe(a ? ID_A : ID_B);
    });

    it('should let exactly one of many concurrent claims win', async () => {
      const ids = Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(32, '0'));
      const results = await Promise.all(ids.map((id) => new VolumeTree(root).claimName('shared', id)));

      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await sut.nameOwner('shared')).toBe(ids[results.indexOf(true)]);
    });

    it('should keep names independent of each other', async () => {
      expect(await sut.claimName('one', ID_A)).toBe(true);
      expect(await sut.claimName('two', ID_B)).toBe(true);
      expect(await sut.names()).toEqual(
        new Map([
          ['one', ID_A],
          ['two', ID_B],
        ]),
      );
    });
  });

  describe('releaseName', () => {
    it('should free the name when its owner releases it', async () => {
      await sut.claimName('data', ID_A);

      await sut.releaseName('data', ID_A);

      expect(await sut.nameOwner('data')).toBeUndefined();
      expect(await sut.claimName('data', ID_B)).toBe(true);
    });

    it('should leave the name alone when another volume releases it', async () => {
      await sut.claimName('data', ID_A);

      await sut.releaseName('data', ID_B);

      expect(await sut.nameOwner('data')).toBe(ID_A);
    });

    it('should accept releasing a name nobody holds', async () => {
      await expect(sut.releaseName('nothing', ID_A)).resolves.toBeUndefined();
    });
  });

  describe('lockVolume', () => {
    it('should lock a volume for an operation and tell who holds it', async () => {
      expect(await sut.lockVolume(ID_A, OP_ID)).toBe(true);

      expect(await sut.volumeLockHolder(ID_A)).toBe(OP_ID);
      expect(await sut.volumeLockHolder(ID_B)).toBeUndefined();
    });

    it('should be idempotent for the holder', async () => {
      await sut.lockVolume(ID_A, OP_ID);

      expect(await sut.lockVolume(ID_A, OP_ID)).toBe(true);
    });

    it('should refuse a lock another operation holds', async () => {
      await sut.lockVolume(ID_A, OP_ID);

      expect(await new VolumeTree(root).lockVolume(ID_A, OP_OTHER)).toBe(false);
      expect(await sut.volumeLockHolder(ID_A)).toBe(OP_ID);
    });

    it('should let exactly one of many concurrent lockers win', async () => {
      const operations = Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(32, '0'));

      const results = await Promise.all(
        operations.map((operation) => new VolumeTree(root).lockVolume(ID_A, operation)),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await sut.volumeLockHolder(ID_A)).toBe(operations[results.indexOf(true)]);
    });

    it('should keep the locks of different volumes apart, and apart from names', async () => {
      await sut.claimName(ID_A, ID_B);

      expect(await sut.lockVolume(ID_A, OP_ID)).toBe(true);
      expect(await sut.lockVolume(ID_B, OP_OTHER)).toBe(true);
      expect(await sut.names()).toEqual(new Map([[ID_A, ID_B]]));
      expect((await readdir(join(root, '.piragua', 'locks'))).sort()).toEqual([ID_A, ID_B]);
    });
  });

  describe('unlockVolume', () => {
    it('should free the lock when its holder releases it', async () => {
      await sut.lockVolume(ID_A, OP_ID);

      await sut.unlockVolume(ID_A, OP_ID);

      expect(await sut.volumeLockHolder(ID_A)).toBeUndefined();
      expect(await sut.lockVolume(ID_A, OP_OTHER)).toBe(true);
    });

    it('should leave the lock alone when another operation releases it', async () => {
      await sut.lockVolume(ID_A, OP_ID);

      await sut.unlockVolume(ID_A, OP_OTHER);

      expect(await sut.volumeLockHolder(ID_A)).toBe(OP_ID);
      expect(await sut.lockVolume(ID_A, OP_OTHER)).toBe(false);
    });

    it('should accept releasing a lock nobody holds', async () => {
      await expect(sut.unlockVolume(ID_A, OP_ID)).resolves.toBeUndefined();
    });
  });

  describe('heartbeats', () => {
    const beat = (overrides: Partial<Heartbeat> = {}): Heartbeat => ({
      heartbeatAt: '2026-01-01T00:00:05.000Z',
      incarnation: 'inc-1',
      instanceId: 'spec-1',
      pid: 4242,
      startedAt: '2026-01-01T00:00:00.000Z',
      ...overrides,
    });

    it('should round-trip one heartbeat per instance, the last one written', async () => {
      await sut.saveHeartbeat(beat());
      await sut.saveHeartbeat(beat({ instanceId: 'spec-2' }));
      await sut.saveHeartbeat(beat({ heartbeatAt: '2026-01-01T00:00:10.000Z' }));

      const heartbeats = (await sut.loadHeartbeats()).sort((a, b) => a.instanceId.localeCompare(b.instanceId));

      expect(heartbeats).toEqual([beat({ heartbeatAt: '2026-01-01T00:00:10.000Z' }), beat({ instanceId: 'spec-2' })]);
      expect((await readdir(join(root, '.piragua', 'instances'))).sort()).toEqual(['spec-1.json', 'spec-2.json']);
    });

    it('should load none before any instance has beaten', async () => {
      expect(await sut.loadHeartbeats()).toEqual([]);
    });

    it('should skip files that are not heartbeats, or not readable ones', async () => {
      await sut.saveHeartbeat(beat());
      await writeFile(join(root, '.piragua', 'instances', 'notes.txt'), 'x');
      await writeFile(join(root, '.piragua', 'instances', 'torn.json'), '{');

      expect(await sut.loadHeartbeats()).toEqual([beat()]);
    });
  });

  describe('createVolumeDirectory', () => {
    it('should make <id>/<name> owned by the gid with mode 2775', async () => {
      await sut.createVolumeDirectory(ID_A, 'data', 4321);

      const info = await stat(join(root, ID_A, 'data'));
      expect(info.isDirectory()).toBe(true);
      expect(info.gid).toBe(4321);
      expect(info.mode & 0o7777).toBe(0o2775);
    });

    it('should make files created inside inherit the group (setgid)', async () => {
      await sut.createVolumeDirectory(ID_A, 'data', 4321);
      await writeFile(join(root, ID_A, 'data', 'file'), 'x');

      expect((await stat(join(root, ID_A, 'data', 'file'))).gid).toBe(4321);
    });

    it('should keep the creator group and still set 2775 without a gid', async () => {
      await sut.createVolumeDirectory(ID_A, 'data');

      const info = await stat(join(root, ID_A, 'data'));
      expect(info.gid).toBe((await stat(root)).gid);
      expect(info.mode & 0o7777).toBe(0o2775);
    });

    it('should refuse to reuse an existing volume directory', async () => {
      await sut.createVolumeDirectory(ID_A, 'data');

      await expect(sut.createVolumeDirectory(ID_A, 'other')).rejects.toMatchObject({ code: 'EEXIST' });
    });

    it('should be listed as a volume directory', async () => {
      await sut.createVolumeDirectory(ID_A, 'data');
      await sut.createVolumeDirectory(ID_B, 'data');

      expect((await sut.volumeDirectories()).sort()).toEqual([ID_A, ID_B]);
    });
  });

  describe('trash', () => {
    it('should take the volume directory out of the namespace into the trash', async () => {
      await sut.createVolumeDirectory(ID_A, 'data');
      await writeFile(join(root, ID_A, 'data', 'file'), 'payload');

      await sut.trashVolumeDirectory(ID_A);

      expect(await sut.exists(ID_A)).toBe(false);
      const trashed = await readdir(join(root, '.piragua', 'trash'));
      expect(trashed).toHaveLength(1);
      expect(trashed[0]).toMatch(new RegExp(`^${ID_A}\\.\\d+$`));
      expect(await readFile(join(root, '.piragua', 'trash', trashed[0], 'data', 'file'), 'utf8')).toBe('payload');
      expect(await sut.volumeDirectories()).toEqual([]);
    });

    it('should accept trashing a directory that is already gone', async () => {
      await expect(sut.trashVolumeDirectory(ID_A)).resolves.toBeUndefined();
    });

    it('should purge everything in the trash and say how much', async () => {
      for (const id of [ID_A, ID_B]) {
        await sut.createVolumeDirectory(id, 'data');
        await mkdir(join(root, id, 'data', 'deep', 'er'), { recursive: true });
        await writeFile(join(root, id, 'data', 'deep', 'er', 'file'), 'x');
        await sut.trashVolumeDirectory(id);
      }

      expect(await sut.purgeTrash()).toBe(2);
      expect(await readdir(join(root, '.piragua', 'trash'))).toEqual([]);
      expect(await sut.purgeTrash()).toBe(0);
    });

    it('should hand each entry to the hook before deleting it, and keep it when the hook fails', async () => {
      await sut.createVolumeDirectory(ID_A, 'data');
      await sut.trashVolumeDirectory(ID_A);
      const seen: string[] = [];

      await expect(
        sut.purgeTrash(async (path) => {
          seen.push(path);
          throw new Error('quota remove failed');
        }),
      ).rejects.toThrow('quota remove failed');

      expect(seen).toEqual([expect.stringMatching(new RegExp(`^/\\.piragua/trash/${ID_A}\\.\\d+$`))]);
      expect(await readdir(join(root, '.piragua', 'trash'))).toHaveLength(1);
      expect(await sut.purgeTrash(async () => undefined)).toBe(1);
    });
  });

  describe('warm pool', () => {
    const made = async (owner: string, sizeGiB: number) =>
      sut.finishPooledDirectory(await sut.beginPooledDirectory(owner), sizeGiB);

    it('should make a directory under pool-new, then move it into the pool of its size', async () => {
      const path = await sut.beginPooledDirectory('node-1');

      expect(path).toMatch(/^\.piragua\/pool-new\/node-1@[0-9a-f]{16}$/);
      expect((await stat(join(root, path))).isDirectory()).toBe(true);
      expect(await sut.pooledDirectoryCounts()).toEqual(new Map());

      await sut.finishPooledDirectory(path, 5);

      expect(await readdir(join(root, '.piragua', 'pool-new'))).toEqual([]);
      expect(await sut.pooledDirectoryCounts()).toEqual(new Map([[5, 1]]));
    });

    it('should rename a pooled directory of the size to the volume id, each one only once', async () => {
      await made('node-1', 1);
      await made('node-1', 1);
      await made('node-1', 2);

      const claims = await Promise.all(
        [ID_A, ID_B, 'cccccccccccccccccccccccccccccccc'].map((id) => sut.claimPooledDirectory(1, id)),
      );

      expect(claims.sort()).toEqual([false, true, true]);
      expect(await sut.pooledDirectoryCounts()).toEqual(
        new Map([
          [1, 0],
          [2, 1],
        ]),
      );
      expect((await sut.volumeDirectories()).length).toBe(2);
      expect(await sut.claimPooledDirectory(7, ID_A)).toBe(false);
    });

    it('should make the volume directory inside a claimed one, and refuse to without a claim', async () => {
      await made('node-1', 1);
      expect(await sut.claimPooledDirectory(1, ID_A)).toBe(true);

      await sut.createVolumeDirectory(ID_A, 'data', undefined, true);

      expect((await stat(join(root, ID_A, 'data'))).mode & 0o7777).toBe(0o2775);
      await expect(sut.createVolumeDirectory(ID_B, 'data', undefined, true)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('should trash only the unfinished directories of the given owner', async () => {
      await sut.beginPooledDirectory('node-1');
      await sut.beginPooledDirectory('node-1');
      await sut.beginPooledDirectory('node-1.example');

      expect(await sut.discardUnfinishedPooledDirectories('node-1')).toBe(2);

      expect(await readdir(join(root, '.piragua', 'pool-new'))).toEqual([expect.stringMatching(/^node-1\.example@/)]);
      expect(await readdir(join(root, '.piragua', 'trash'))).toHaveLength(2);
    });
  });

  describe('volume records', () => {
    it('should round-trip a record kept in the state directory, outside the quota', async () => {
      const record = volumeRecord({
        glusterVolumeOptions: ['performance.x on'],
        operationId: OP_ID,
        state: 'creating',
      });
      await sut.createVolumeDirectory(ID_A, record.name);

      await sut.saveVolume(record);

      expect(await sut.loadVolume(ID_A)).toEqual(record);
      expect(await sut.exists(join('.piragua', 'volumes', `${ID_A}.json`))).toBe(true);
      expect(await readdir(join(root, ID_A))).toEqual([record.name]);
    });

    it('should overwrite a record atomically, leaving no temporary file', async () => {
      await sut.saveVolume(volumeRecord({ state: 'creating' }));

      await sut.saveVolume(volumeRecord({ sizeGiB: 9 }));

      expect(await sut.loadVolume(ID_A)).toMatchObject({ sizeGiB: 9, state: 'ready' });
      expect(await readdir(join(root, '.piragua', 'volumes'))).toEqual([`${ID_A}.json`]);
    });

    it('should save a record whether or not the volume directory exists', async () => {
      await sut.saveVolume(volumeRecord());

      expect(await sut.loadVolume(ID_A)).toEqual(volumeRecord());
      expect(await sut.exists(ID_A)).toBe(false);
    });

    it('should remove a record, and accept removing one that is not there', async () => {
      await sut.saveVolume(volumeRecord());

      await sut.removeVolume(ID_A);

      expect(await sut.loadVolume(ID_A)).toBeUndefined();
      await expect(sut.removeVolume(ID_A)).resolves.toBeUndefined();
    });

    it.each([ID_B, '../etc', 'ABCDEFABCDEFABCDEFABCDEFABCDEFAB', '.piragua'])(
      'should find no record for %j',
      async (id) => {
        expect(await sut.loadVolume(id)).toBeUndefined();
      },
    );

    it('should keep the record when the directory is trashed, until it is removed', async () => {
      await sut.createVolumeDirectory(ID_A, 'data');
      await sut.saveVolume(volumeRecord());

      await sut.trashVolumeDirectory(ID_A);

      expect(await sut.loadVolume(ID_A)).toEqual(volumeRecord());
      await sut.removeVolume(ID_A);
      expect(await sut.loadVolumes()).toEqual([]);
    });

    it('should load only well-named records', async () => {
      await sut.saveVolume(volumeRecord());
      const volumes = join(root, '.piragua', 'volumes');
      await writeFile(join(volumes, 'notes.txt'), 'x');
      await writeFile(join(volumes, 'not-an-id.json'), JSON.stringify(volumeRecord({ id: 'not-an-id' })));
      await writeFile(join(volumes, 'ABCDEFABCDEFABCDEFABCDEFABCDEFAB.json'), JSON.stringify(volumeRecord()));
      await writeFile(join(volumes, `${ID_B}.json.tmp-0000`), '{');
      await mkdir(join(volumes, 'lost+found'));

      expect(await sut.loadVolumes()).toEqual([volumeRecord()]);
    });

    it('should list only well-named volume directories', async () => {
      await sut.createVolumeDirectory(ID_A, 'data');
      await sut.createVolumeDirectory(ID_B, 'no-record-yet');
      await mkdir(join(root, 'lost+found'));
      await mkdir(join(root, 'ABCDEFABCDEFABCDEFABCDEFABCDEFAB'));
      await mkdir(join(root, 'a'.repeat(31)));

      expect((await sut.volumeDirectories()).sort()).toEqual([ID_A, ID_B]);
    });
  });

  describe('operation records', () => {
    it('should round-trip, list and remove operations', async () => {
      const pending = operationRecord();
      const other = operationRecord({
        id: 'f'.repeat(32),
        kind: 'delete',
        state: 'failed',
        message: 'Failed to delete volume: x',
      });
      await sut.saveOperation(pending);
      await sut.saveOperation(other);

      expect(await sut.loadOperation(OP_ID)).toEqual(pending);
      expect((await sut.loadOperations()).sort((a, b) => a.id.localeCompare(b.id))).toEqual([pending, other]);

      await sut.removeOperation(OP_ID);

      expect(await sut.loadOperation(OP_ID)).toBeUndefined();
      expect(await sut.loadOperations()).toEqual([other]);
    });

    it('should replace an operation when it is saved again', async () => {
      await sut.saveOperation(operationRecord());
      await sut.saveOperation(operationRecord({ finishedAt: '2026-01-01T00:00:01.000Z', state: 'succeeded' }));

      expect(await sut.loadOperation(OP_ID)).toMatchObject({ state: 'succeeded' });
      expect(await readdir(join(root, '.piragua', 'operations'))).toEqual([`${OP_ID}.json`]);
    });

    it('should ignore files that are not operation records', async () => {
      await sut.saveOperation(operationRecord());
      await writeFile(join(root, '.piragua', 'operations', 'notes.txt'), 'x');
      await writeFile(join(root, '.piragua', 'operations', `${OP_ID}.json.tmp-0000`), '{');
      await writeFile(join(root, '.piragua', 'operations', 'not-an-id.json'), '{}');

      expect(await sut.loadOperations()).toEqual([operationRecord()]);
    });

    it.each(['../../x', 'NOTHEX', 'f'.repeat(32)])('should find no operation %j', async (id) => {
      expect(await sut.loadOperation(id)).toBeUndefined();
    });

    it('should accept removing an operation that is not there', async () => {
      await expect(sut.removeOperation(OP_ID)).resolves.toBeUndefined();
    });
  });

  describe('state files and usage', () => {
    it('should write, read and remove a state file', async () => {
      await mkdir(join(root, '.piragua', 'sub'));
      await sut.writeStateFile(join('sub', 'value'), '42');

      expect(await sut.readStateFile(join('sub', 'value'))).toBe('42');

      await sut.removeStateFile(join('sub', 'value'));

      expect(await sut.readStateFile(join('sub', 'value'))).toBeUndefined();
      await expect(sut.removeStateFile(join('sub', 'value'))).resolves.toBeUndefined();
    });

    it('should sum the bytes of every file below a volume', async () => {
      await sut.createVolumeDirectory(ID_A, 'data');
      await mkdir(join(root, ID_A, 'data', 'nested'));
      await writeFile(join(root, ID_A, 'data', 'a'), Buffer.alloc(1000));
      await writeFile(join(root, ID_A, 'data', 'nested', 'b'), Buffer.alloc(24));

      expect(await sut.usedBytes(ID_A)).toBe(1024);
    });

    it('should count a missing volume as empty', async () => {
      expect(await sut.usedBytes(ID_B)).toBe(0);
    });

    it('should tell what exists', async () => {
      expect(await sut.exists('.piragua')).toBe(true);
      expect(await sut.exists(ID_A)).toBe(false);
      expect((await lstat(root)).isDirectory()).toBe(true);
    });
  });
});
