import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VolumeStateStore } from '../../src/backends/state/volume-state.port.js';
import { heartbeat, operationRecord, volumeRecord } from '../factories/records.factory.js';

export interface VolumeStateSubject {
  clusterId: string;
  store: VolumeStateStore;
  /** Another instance's store over the same storage, for the races between instances. */
  another(): VolumeStateStore;
  cleanup(): Promise<void>;
}

const ID_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ID_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ID_C = 'cccccccccccccccccccccccccccccccc';
const OP_ID = '0123456789abcdef0123456789abcdef';
const OP_OTHER = 'fedcba9876543210fedcba9876543210';
const GID = 4321;

const ids = (count: number) => Array.from({ length: count }, (_, index) => index.toString(16).padStart(32, '0'));

/**
 * What every VolumeStateStore must do, as the services rely on it. `setup` is called before each
 * case and gives a store over empty storage.
 */
export function describeVolumeStateContract(name: string, setup: () => Promise<VolumeStateSubject>): void {
  describe(`${name} keeps the VolumeStateStore contract`, () => {
    let subject: VolumeStateSubject;
    let sut: VolumeStateStore;
    let clusterId: string;
    const record = (overrides: Parameters<typeof volumeRecord>[0] = {}) =>
      volumeRecord({ clusterId, id: ID_A, name: 'data', ...overrides });
    const operation = (overrides: Parameters<typeof operationRecord>[0] = {}) =>
      operationRecord({ clusterId, id: OP_ID, volumeId: ID_A, ...overrides });

    beforeEach(async () => {
      subject = await setup();
      ({ clusterId, store: sut } = subject);
    });

    afterEach(async () => {
      vi.useRealTimers();
      await subject?.cleanup();
    });

    describe('names', () => {
      it('should reserve a free name, idempotently for its owner', async () => {
        expect(await sut.claimName(clusterId, 'data', ID_A)).toBe(true);
        expect(await sut.claimName(clusterId, 'data', ID_A)).toBe(true);
        expect(await sut.nameOwner(clusterId, 'data')).toBe(ID_A);
      });

      it('should refuse a name another volume holds', async () => {
        await sut.claimName(clusterId, 'data', ID_A);

        expect(await subject.another().claimName(clusterId, 'data', ID_B)).toBe(false);
        expect(await sut.nameOwner(clusterId, 'data')).toBe(ID_A);
      });

      it('should let exactly one of many concurrent claims win, across instances', async () => {
        const volumes = ids(12);

        const won = await Promise.all(volumes.map((id) => subject.another().claimName(clusterId, 'shared', id)));

        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await sut.nameOwner(clusterId, 'shared')).toBe(volumes[won.indexOf(true)]);
      });

      it('should list every reservation, and none for a free name', async () => {
        await sut.claimName(clusterId, 'one', ID_A);
        await sut.claimName(clusterId, 'two', ID_B);

        expect(await sut.loadNames(clusterId)).toEqual(
          new Map([
            ['one', ID_A],
            ['two', ID_B],
          ]),
        );
        expect(await sut.nameOwner(clusterId, 'three')).toBeUndefined();
      });

      it('should free a name only when its owner releases it, and accept releasing a free one', async () => {
        await sut.claimName(clusterId, 'data', ID_A);

        await sut.releaseName(clusterId, 'data', ID_B);
        expect(await sut.nameOwner(clusterId, 'data')).toBe(ID_A);

        await sut.releaseName(clusterId, 'data', ID_A);
        expect(await sut.nameOwner(clusterId, 'data')).toBeUndefined();
        expect(await sut.claimName(clusterId, 'data', ID_B)).toBe(true);
        await expect(sut.releaseName(clusterId, 'nothing', ID_A)).resolves.toBeUndefined();
      });
    });

    describe('volume locks', () => {
      it('should lock a volume for one operation, idempotently, and tell who holds it', async () => {
        expect(await sut.lockVolume(clusterId, ID_A, OP_ID)).toBe(true);
        expect(await sut.lockVolume(clusterId, ID_A, OP_ID)).toBe(true);

        expect(await subject.another().lockVolume(clusterId, ID_A, OP_OTHER)).toBe(false);
        expect(await sut.volumeLockHolder(clusterId, ID_A)).toBe(OP_ID);
        expect(await sut.volumeLockHolder(clusterId, ID_B)).toBeUndefined();
      });

      it('should let exactly one of many concurrent lockers win, across instances', async () => {
        const operations = ids(12);

        const won = await Promise.all(operations.map((op) => subject.another().lockVolume(clusterId, ID_A, op)));

        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await sut.volumeLockHolder(clusterId, ID_A)).toBe(operations[won.indexOf(true)]);
      });

      it('should free a lock only when its holder unlocks it, and accept unlocking a free one', async () => {
        await sut.lockVolume(clusterId, ID_A, OP_ID);

        await sut.unlockVolume(clusterId, ID_A, OP_OTHER);
        expect(await sut.lockVolume(clusterId, ID_A, OP_OTHER)).toBe(false);

        await sut.unlockVolume(clusterId, ID_A, OP_ID);
        expect(await sut.volumeLockHolder(clusterId, ID_A)).toBeUndefined();
        expect(await sut.lockVolume(clusterId, ID_A, OP_OTHER)).toBe(true);
        await expect(sut.unlockVolume(clusterId, ID_B, OP_ID)).resolves.toBeUndefined();
      });

      it('should keep the locks of different volumes apart, and apart from names', async () => {
        await sut.claimName(clusterId, ID_A, ID_B);

        expect(await sut.lockVolume(clusterId, ID_A, OP_ID)).toBe(true);
        expect(await sut.lockVolume(clusterId, ID_B, OP_OTHER)).toBe(true);
        expect(await sut.loadLocks(clusterId)).toEqual(
          new Map([
            [ID_A, OP_ID],
            [ID_B, OP_OTHER],
          ]),
        );
        expect(await sut.loadNames(clusterId)).toEqual(new Map([[ID_A, ID_B]]));
      });
    });

    describe('heartbeats', () => {
      it('should load none before any instance has beaten', async () => {
        expect(await sut.loadHeartbeats(clusterId)).toEqual([]);
      });

      it('should keep the last heartbeat of each instance', async () => {
        const beat = (instanceId: string, heartbeatAt = '2026-01-01T00:00:05.000Z') =>
          heartbeat({ heartbeatAt, instanceId });
        await sut.saveHeartbeat(clusterId, beat('spec-1'));
        await sut.saveHeartbeat(clusterId, beat('spec-2'));
        await subject.another().saveHeartbeat(clusterId, beat('spec-1', '2026-01-01T00:00:10.000Z'));

        const loaded = await sut.loadHeartbeats(clusterId);

        expect(loaded.sort((a, b) => a.instanceId.localeCompare(b.instanceId))).toEqual([
          beat('spec-1', '2026-01-01T00:00:10.000Z'),
          beat('spec-2'),
        ]);
      });
    });

    describe('volume directories', () => {
      it('should make a volume directory, list it and tell its name, group and age', async () => {
        await sut.createVolumeDirectory(clusterId, ID_A, 'data', GID);
        await sut.createVolumeDirectory(clusterId, ID_B, 'other');

        expect((await sut.listVolumeDirectories(clusterId)).sort()).toEqual([ID_A, ID_B]);
        const inspected = await sut.inspectVolumeDirectory(clusterId, ID_A);
        expect(inspected).toEqual({ createdAt: expect.any(String), gid: GID, name: 'data' });
        expect(Number.isNaN(Date.parse(inspected!.createdAt))).toBe(false);
        expect(await sut.inspectVolumeDirectory(clusterId, ID_B)).toMatchObject({ name: 'other' });
        expect(await sut.inspectVolumeDirectory(clusterId, ID_C)).toBeUndefined();
      });

      it('should refuse to make a volume directory that exists', async () => {
        await sut.createVolumeDirectory(clusterId, ID_A, 'data');

        await expect(sut.createVolumeDirectory(clusterId, ID_A, 'other')).rejects.toMatchObject({ code: 'EEXIST' });
      });

      it('should take a trashed directory out of the namespace at once, and accept trashing a missing one', async () => {
        await sut.createVolumeDirectory(clusterId, ID_A, 'data');
        await sut.createVolumeDirectory(clusterId, ID_B, 'data');

        await sut.trashVolumeDirectory(clusterId, ID_A);
        await sut.trashVolumeDirectory(clusterId, ID_C);

        expect(await sut.listVolumeDirectories(clusterId)).toEqual([ID_B]);
        expect(await sut.inspectVolumeDirectory(clusterId, ID_A)).toBeUndefined();
        const trashed = await sut.trashEntries(clusterId);
        expect(trashed).toHaveLength(1);
        expect(trashed[0]).not.toMatch(/^\//);
        await sut.createVolumeDirectory(clusterId, ID_A, 'again');
        expect(await sut.inspectVolumeDirectory(clusterId, ID_A)).toMatchObject({ name: 'again' });
      });

      it('should delete a trash entry, and accept deleting one that is gone', async () => {
        for (const id of [ID_A, ID_B]) {
          await sut.createVolumeDirectory(clusterId, id, 'data');
          await sut.trashVolumeDirectory(clusterId, id);
        }
        const [first, second] = await sut.trashEntries(clusterId);

        await sut.deleteTrashEntry(clusterId, first);

        expect(await sut.trashEntries(clusterId)).toEqual([second]);
        await sut.deleteTrashEntry(clusterId, second);
        await expect(sut.deleteTrashEntry(clusterId, second)).resolves.toBeUndefined();
        expect(await sut.trashEntries(clusterId)).toEqual([]);
      });
    });

    describe('warm pool', () => {
      const pooled = async (owner: string, sizeGiB: number) =>
        sut.finishPooledDirectory(clusterId, await sut.beginPooledDirectory(clusterId, owner), sizeGiB);
      const ready = async (sizeGiB: number) => (await sut.pooledDirectoryCounts(clusterId)).get(sizeGiB) ?? 0;

      it('should count a begun directory only once it is finished, by its size', async () => {
        const path = await sut.beginPooledDirectory(clusterId, 'node-1');

        expect(path).not.toMatch(/^\//);
        expect(await ready(5)).toBe(0);

        await sut.finishPooledDirectory(clusterId, path, 5);

        expect(await ready(5)).toBe(1);
        expect(await sut.listVolumeDirectories(clusterId)).toEqual([]);
      });

      it('should refuse to finish or discard a directory that was not begun', async () => {
        const path = await sut.beginPooledDirectory(clusterId, 'node-1');
        await sut.finishPooledDirectory(clusterId, path, 1);

        await expect(sut.finishPooledDirectory(clusterId, path, 1)).rejects.toThrow();
        await expect(sut.discardPooledDirectory(clusterId, path)).rejects.toThrow();
      });

      it('should hand each pooled directory of a size to one claim only', async () => {
        await pooled('node-1', 1);
        await pooled('node-1', 1);
        await pooled('node-1', 2);

        const claims = await Promise.all(
          [ID_A, ID_B, ID_C].map((id) => subject.another().claimPooledDirectory(clusterId, 1, id)),
        );

        expect([...claims].sort()).toEqual([false, true, true]);
        expect(await ready(1)).toBe(0);
        expect(await ready(2)).toBe(1);
        expect(await sut.claimPooledDirectory(clusterId, 7, ID_C)).toBe(false);
        const claimed = [ID_A, ID_B, ID_C].filter((_, index) => claims[index]);
        expect((await sut.listVolumeDirectories(clusterId)).sort()).toEqual(claimed);
      });

      it('should make the volume directory inside a claimed one, and refuse to without a claim', async () => {
        await pooled('node-1', 1);
        expect(await sut.claimPooledDirectory(clusterId, 1, ID_A)).toBe(true);

        await sut.createVolumeDirectory(clusterId, ID_A, 'data', GID, true);

        expect(await sut.inspectVolumeDirectory(clusterId, ID_A)).toMatchObject({ gid: GID, name: 'data' });
        await expect(sut.createVolumeDirectory(clusterId, ID_B, 'data', undefined, true)).rejects.toMatchObject({
          code: 'ENOENT',
        });
      });

      it('should trash a discarded directory instead of pooling it', async () => {
        const path = await sut.beginPooledDirectory(clusterId, 'node-1');

        await sut.discardPooledDirectory(clusterId, path);

        expect(await sut.trashEntries(clusterId)).toHaveLength(1);
        expect(await sut.pooledDirectoryCounts(clusterId)).toEqual(new Map());
      });

      it('should trash the unfinished directories of the given owner only, once', async () => {
        await sut.beginPooledDirectory(clusterId, 'node-1');
        await sut.beginPooledDirectory(clusterId, 'node-1');
        const other = await sut.beginPooledDirectory(clusterId, 'node-1.example');
        await pooled('node-1', 3);

        expect(await sut.discardUnfinishedPooledDirectories(clusterId, 'node-1')).toBe(2);

        expect(await sut.trashEntries(clusterId)).toHaveLength(2);
        expect(await sut.discardUnfinishedPooledDirectories(clusterId, 'node-1')).toBe(0);
        expect(await ready(3)).toBe(1);
        await sut.finishPooledDirectory(clusterId, other, 3);
        expect(await ready(3)).toBe(2);
      });
    });

    describe('volume records', () => {
      it('should round-trip, replace and list records', async () => {
        const creating = record({ glusterVolumeOptions: ['performance.x on'], operationId: OP_ID, state: 'creating' });
        await sut.saveVolume(creating);
        await sut.saveVolume(record({ id: ID_B, name: 'other' }));

        expect(await subject.another().loadVolume(clusterId, ID_A)).toEqual(creating);

        await sut.saveVolume(record({ sizeGiB: 9 }));

        expect(await sut.loadVolume(clusterId, ID_A)).toEqual(record({ sizeGiB: 9 }));
        expect((await sut.loadVolumes(clusterId)).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
          record({ sizeGiB: 9 }),
          record({ id: ID_B, name: 'other' }),
        ]);
      });

      it('should find no record of an unknown volume', async () => {
        expect(await sut.loadVolume(clusterId, ID_C)).toBeUndefined();
        expect(await sut.loadVolumes(clusterId)).toEqual([]);
      });

      it('should keep a record apart from its directory: saved without one, kept when it is trashed', async () => {
        await sut.saveVolume(record());
        expect(await sut.listVolumeDirectories(clusterId)).toEqual([]);
        await sut.createVolumeDirectory(clusterId, ID_A, 'data');

        await sut.trashVolumeDirectory(clusterId, ID_A);

        expect(await sut.loadVolume(clusterId, ID_A)).toEqual(record());
      });

      it('should remove a record, and accept removing one that is not there', async () => {
        await sut.saveVolume(record());

        await sut.removeVolume(clusterId, ID_A);

        expect(await sut.loadVolume(clusterId, ID_A)).toBeUndefined();
        await expect(sut.removeVolume(clusterId, ID_A)).resolves.toBeUndefined();
      });

      it('should announce every save and removal as <ms>-<id>, oldest first, and prune the old ones', async () => {
        const start = Date.parse('2026-03-01T00:00:00.000Z');
        vi.useFakeTimers({ now: start, toFake: ['Date'] });
        await sut.saveVolume(record({ id: ID_B }));
        vi.setSystemTime(start + 1000);
        await sut.saveVolume(record());
        vi.setSystemTime(start + 60_000);
        await sut.removeVolume(clusterId, ID_B);

        expect(await sut.volumeChanges(clusterId)).toEqual([
          `${start}-${ID_B}`,
          `${start + 1000}-${ID_A}`,
          `${start + 60_000}-${ID_B}`,
        ]);

        await sut.pruneVolumeChanges(clusterId, 30_000);

        expect(await sut.volumeChanges(clusterId)).toEqual([`${start + 60_000}-${ID_B}`]);
      });
    });

    describe('operation records', () => {
      it('should round-trip, replace, list and remove operations', async () => {
        const failed = operation({
          id: OP_OTHER,
          kind: 'delete',
          message: 'Failed to delete volume: x',
          state: 'failed',
        });
        await sut.saveOperation(operation());
        await sut.saveOperation(failed);
        const done = operation({ finishedAt: '2026-01-01T00:00:01.000Z', state: 'succeeded' });
        await subject.another().saveOperation(done);

        expect(await sut.loadOperation(clusterId, OP_ID)).toEqual(done);
        expect((await sut.loadOperations(clusterId)).sort((a, b) => a.id.localeCompare(b.id))).toEqual([done, failed]);

        await sut.removeOperation(clusterId, OP_ID);

        expect(await sut.loadOperation(clusterId, OP_ID)).toBeUndefined();
        expect(await sut.loadOperations(clusterId)).toEqual([failed]);
        await expect(sut.removeOperation(clusterId, OP_ID)).resolves.toBeUndefined();
      });
    });
  });
}
