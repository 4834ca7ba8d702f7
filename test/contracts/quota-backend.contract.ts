import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GIB } from '../../src/backends/backend.types.js';
import type { QuotaBackend } from '../../src/backends/quotas/quota.port.js';
import type { VolumeStateStore } from '../../src/backends/state/volume-state.port.js';

export interface QuotaSubject {
  clusterId: string;
  quotas: QuotaBackend;
  /** Makes and moves the directories the limits are set on, as the services do. */
  store: VolumeStateStore;
  cleanup(): Promise<void>;
}

const ID_A = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0';
const ID_B = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
const ID_C = 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0';
const MISSING = 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0';

/**
 * What every QuotaBackend must do, with the state store that moves the limited directories.
 * `setup` is called before each case and gives both over empty storage. The cases remove every
 * limit before its directory goes, as the port asks, and set few limits: on Gluster each change
 * is a CLI call of about half a second.
 */
export function describeQuotaContract(name: string, setup: () => Promise<QuotaSubject>): void {
  describe(`${name} keeps the QuotaBackend contract`, () => {
    let subject: QuotaSubject;
    let sut: QuotaBackend;
    let store: VolumeStateStore;
    let clusterId: string;

    beforeEach(async () => {
      subject = await setup();
      ({ clusterId, quotas: sut, store } = subject);
    });

    afterEach(async () => {
      await subject?.cleanup();
    });

    it('should set, replace, read back and remove the limit of a directory', async () => {
      await store.createVolumeDirectory(clusterId, ID_A, 'data');

      await sut.setQuota(clusterId, ID_A, GIB);
      expect(await sut.readQuota(clusterId, ID_A)).toBe(GIB);
      await sut.setQuota(clusterId, ID_A, 2 * GIB);
      expect(await sut.readQuota(clusterId, ID_A)).toBe(2 * GIB);

      await sut.removeQuota(clusterId, ID_A);

      expect(await sut.readQuota(clusterId, ID_A)).toBeUndefined();
    });

    it('should read no limit of a directory without one or of a missing one, and accept removing either', async () => {
      await store.createVolumeDirectory(clusterId, ID_A, 'data');

      expect(await sut.readQuota(clusterId, ID_A)).toBeUndefined();
      expect(await sut.readQuota(clusterId, MISSING)).toBeUndefined();
      await expect(sut.removeQuota(clusterId, ID_A)).resolves.toBeUndefined();
      await expect(sut.removeQuota(clusterId, MISSING)).resolves.toBeUndefined();
    });

    it('should refuse a limit on a directory that does not exist', async () => {
      await expect(sut.setQuota(clusterId, MISSING, GIB)).rejects.toThrow();

      expect(await sut.readQuota(clusterId, MISSING)).toBeUndefined();
    });

    it('should report limits, and usage, of the limited directories only, and every limited top-level directory', async () => {
      for (const [id, limit] of [
        [ID_A, GIB],
        [ID_B, 2 * GIB],
        [ID_C, undefined],
      ] as const) {
        await store.createVolumeDirectory(clusterId, id, 'data');
        if (limit !== undefined) {
          await sut.setQuota(clusterId, id, limit);
        }
      }
      const asked = [ID_A, ID_B, ID_C, MISSING];

      expect(await sut.directoryLimits(clusterId, asked)).toEqual(
        new Map([
          [ID_A, GIB],
          [ID_B, 2 * GIB],
        ]),
      );
      const usage = await sut.quotaUsage(clusterId, asked);
      expect([...usage.keys()].sort()).toEqual([ID_A, ID_B]);
      expect(usage.get(ID_A)).toMatchObject({ limitBytes: GIB });
      expect(usage.get(ID_B)).toMatchObject({ limitBytes: 2 * GIB });
      const all = await sut.quotaLimits(clusterId);
      expect([all.get(ID_A), all.get(ID_B), all.has(ID_C)]).toEqual([GIB, 2 * GIB, false]);

      for (const id of [ID_A, ID_B]) {
        await sut.removeQuota(clusterId, id);
      }
    });

    it('should move a limit with its directory into the trash, where it is removed before the entry is deleted', async () => {
      await store.createVolumeDirectory(clusterId, ID_A, 'data');
      await sut.setQuota(clusterId, ID_A, GIB);

      await store.trashVolumeDirectory(clusterId, ID_A);

      expect(await sut.readQuota(clusterId, ID_A)).toBeUndefined();
      const [entry] = await store.trashEntries(clusterId);
      expect(await sut.readQuota(clusterId, entry)).toBe(GIB);
      await sut.removeQuota(clusterId, entry);
      expect(await sut.readQuota(clusterId, entry)).toBeUndefined();
      await store.deleteTrashEntry(clusterId, entry);
    });

    it('should keep the limit set on a pooled directory through its claim, and through a discard into the trash', async () => {
      const claimed = await store.beginPooledDirectory(clusterId, 'node-1');
      const discarded = await store.beginPooledDirectory(clusterId, 'node-1');
      await sut.setQuota(clusterId, claimed, GIB);
      await sut.setQuota(clusterId, discarded, GIB);
      expect(await sut.readQuota(clusterId, claimed)).toBe(GIB);

      await store.finishPooledDirectory(clusterId, claimed, 1);
      await store.discardPooledDirectory(clusterId, discarded);

      expect(await store.claimPooledDirectory(clusterId, 1, ID_A)).toBe(true);
      expect(await sut.readQuota(clusterId, ID_A)).toBe(GIB);
      const [entry] = await store.trashEntries(clusterId);
      expect(await sut.readQuota(clusterId, entry)).toBe(GIB);
      await sut.removeQuota(clusterId, entry);
      await sut.removeQuota(clusterId, ID_A);
    });
  });
}
