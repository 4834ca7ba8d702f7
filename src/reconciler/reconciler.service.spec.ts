import { Logger } from '@nestjs/common';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { heartbeat, operationRecord, volumeRecord } from '../../test/factories/records.factory.js';
import { errnoError, FakeStorage, fakeCluster } from '../../test/fakes/fake-storage.js';
import { AppConfig } from '../config/app-config.js';
import { GlusterCommandError } from '../gluster/gluster-command.error.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { GIB, OperationRecord, VolumeRecord } from '../backends/backend.types.js';
import { TRASH_FILLED, TrashFilled } from '../backends/state/volume-state.events.js';
import { InstancesService } from '../operations/instances.service.js';
import { OperationsService } from '../operations/operations.service.js';
import { QuotaUsageService } from '../volumes/quota-usage.service.js';
import { VolumeIndexService } from '../volumes/volume-index.service.js';
import { VolumeUndoService } from '../volumes/volume-undo.service.js';
import { ClusterScanner } from './cluster-scan.js';
import { InterruptedOperations } from './interrupted-operations.js';
import { LegacyAdoption } from './legacy-adoption.js';
import { LeftoverChecks } from './leftover-checks.js';
import { RECONCILER_PASSED, ReconcilerPassed } from './reconciler.events.js';
import { ReconcilerService } from './reconciler.service.js';
import type { Finding } from './reconciler.types.js';
import { TrashPurgeService } from './trash-purge.service.js';

const CLUSTER = fakeCluster().id;
const VOLUME = '5eed5eed5eed5eed5eed5eed5eed5eed';
const OTHER_VOLUME = '0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a';
const OPERATION = '0000000000000000000000000000000a';
const OTHER_OPERATION = '0000000000000000000000000000000b';

/** Lets background work that is not waiting on anything run to its end. */
async function flush(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe(ReconcilerService.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  let config: AppConfig;
  let fake: FakeStorage;
  let operations: OperationsService;
  /** Its own fake: the reconciler's must never be asked for usage. */
  let usageFake: FakeStorage;
  let quotaUsage: QuotaUsageService;
  let sut: ReconcilerService;
  /** What the last periodic pass announced. */
  let passed: ReconcilerPassed | undefined;

  beforeEach(() => {
    config = appConfig({ PIRAGUA_INSTANCE_ID: 'spec-1', PIRAGUA_INSTANCE_TIMEOUT_SECONDS: '30' });
    // Reconciling needs limits only: reading usage (on the local backend, summing every file) is a violation.
    fake = new FakeStorage().forbid('quotaUsage');
    const events = new EventEmitter2();
    const index = new VolumeIndexService(config, fake, fake);
    operations = new OperationsService(config, events, fake, fake);
    const undo = new VolumeUndoService(events, index, fake);
    usageFake = new FakeStorage();
    quotaUsage = new QuotaUsageService(config, usageFake, usageFake, usageFake);
    const scanner = new ClusterScanner(new InstancesService(config, fake, fake), operations, fake, quotaUsage, fake);
    const interrupted = new InterruptedOperations(config, operations, fake, fake, undo);
    const leftovers = new LeftoverChecks(fake, fake, undo);
    sut = new ReconcilerService(
      new LegacyAdoption(index, fake),
      config,
      events,
      index,
      interrupted,
      leftovers,
      scanner,
      fake,
    );
    const purge = new TrashPurgeService(fake, fake, fake);
    events.on(TRASH_FILLED, (event: TrashFilled) => purge.onTrashFilled(event));
    passed = undefined;
    events.on(RECONCILER_PASSED, (event: ReconcilerPassed) => (passed = event));
  });

  afterEach(() => {
    sut.onModuleDestroy();
    expect(fake.violations).toEqual([]);
  });

  /** An operation this instance started before it restarted. */
  function interrupted(overrides: Partial<OperationRecord>): OperationRecord {
    const operation = operationRecord({
      id: OPERATION,
      incarnation: 'earlier',
      owner: 'spec-1',
      volumeId: VOLUME,
      ...overrides,
    });
    fake.operations.set(`${CLUSTER}/${operation.id}`, operation);
    return operation;
  }

  function seedRecord(overrides: Partial<VolumeRecord> = {}): VolumeRecord {
    const record = volumeRecord({ id: VOLUME, ...overrides });
    fake.volumes.set(`${CLUSTER}/${record.id}`, record);
    return record;
  }

  /** Runs one pass over the single fake cluster and returns its findings. */
  async function findings(repair: boolean): Promise<Finding[]> {
    fake.resetCalls();
    const reports = await sut.reconcile(repair);
    expect(reports.map((report) => ({ cluster: report.cluster, volume: report.volume }))).toEqual([
      { cluster: CLUSTER, volume: 'gv0' },
    ]);
    return reports[0].findings;
  }

  /** Everything the fake backend holds. */
  function backendState() {
    const { directories, heartbeats, locks, names, operations: records, quotas, trash, volumes } = fake;
    return structuredClone({ directories, heartbeats, locks, names, records, quotas, trash, volumes });
  }

  function operationOnBackend(id = OPERATION): OperationRecord | undefined {
    return fake.operations.get(`${CLUSTER}/${id}`);
  }

  function expectNothingLeftOf(volumeId: string, name: string): void {
    expect(fake.quotas.has(`${CLUSTER}/${volumeId}`)).toBe(false);
    expect(fake.directories.has(`${CLUSTER}/${volumeId}`)).toBe(false);
    expect(fake.callsTo('trashVolumeDirectory')).toContainEqual([CLUSTER, volumeId]);
    expect(fake.names.has(`${CLUSTER}/${name}`)).toBe(false);
    expect(fake.volumes.has(`${CLUSTER}/${volumeId}`)).toBe(false);
    expect(fake.locks.has(`${CLUSTER}/${volumeId}`)).toBe(false);
  }

  describe('interrupted operations of an earlier incarnation', () => {
    it('should roll back a create that did not finish, and settle it failed with a message', async () => {
      interrupted({ kind: 'create' });
      fake.seedVolume(seedRecord({ name: 'data', operationId: OPERATION, state: 'creating' }));

      expect(await findings(true)).toEqual([
        {
          detail: 'a create that did not finish; rolled back',
          kind: 'interrupted-create',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);

      expect(fake.changes()).toEqual(['trashVolumeDirectory', 'releaseName', 'removeVolume', 'saveOperation']);
      expectNothingLeftOf(VOLUME, 'data');
      const message =
        'Failed to create volume: the piragua instance running it stopped before the volume was ready; nothing was created';
      expect(operationOnBackend()).toMatchObject({ finishedAt: expect.any(String), message, state: 'failed' });
      expect(await operations.status(OPERATION)).toEqual({ message, state: 'failed' });
    });

    it('should roll back a create interrupted before its volume was recorded', async () => {
      interrupted({ kind: 'create' });
      fake.names.set(`${CLUSTER}/data`, VOLUME);
      fake.directories.set(`${CLUSTER}/${VOLUME}`, { name: 'data' });

      expect(await findings(true)).toEqual([
        expect.objectContaining({ kind: 'interrupted-create', repaired: true, volumeId: VOLUME }),
      ]);

      expectNothingLeftOf(VOLUME, 'data');
      expect(operationOnBackend()).toMatchObject({ state: 'failed' });
    });

    it('should settle succeeded a create whose volume is ready, and leave the volume alone', async () => {
      interrupted({ kind: 'create' });
      const ready = seedRecord();
      fake.seedVolume(ready);

      expect(await findings(true)).toEqual([
        {
          detail: 'created, but the result was not recorded',
          kind: 'interrupted-create',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);

      expect(fake.changes()).toEqual(['saveOperation']);
      expect(operationOnBackend()).toMatchObject({ state: 'succeeded' });
      expect(fake.volumes.get(`${CLUSTER}/${VOLUME}`)).toEqual(ready);
      expect(fake.quotas.get(`${CLUSTER}/${VOLUME}`)).toBe(2 * GIB);
      expect(await operations.status(OPERATION)).toEqual({ location: `/volumes/${VOLUME}`, state: 'done' });
    });

    it('should complete a delete that did not finish, releasing its lock, and settle it succeeded', async () => {
      interrupted({ kind: 'delete' });
      fake.seedVolume(seedRecord({ operationId: OPERATION, state: 'deleting' }));
      fake.locks.set(`${CLUSTER}/${VOLUME}`, OPERATION);

      expect(await findings(true)).toEqual([
        {
          detail: 'a delete that did not finish; completed',
          kind: 'interrupted-delete',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);

      expect(fake.changes()).toEqual([
        'trashVolumeDirectory',
        'releaseName',
        'removeVolume',
        'unlockVolume',
        'saveOperation',
      ]);
      expect(fake.callsTo('unlockVolume')).toEqual([[CLUSTER, VOLUME, OPERATION]]);
      expectNothingLeftOf(VOLUME, 'seeded');
      expect(operationOnBackend()).toMatchObject({ state: 'succeeded' });
      await flush();
      expect(fake.callsTo('trashEntries')).toEqual([[CLUSTER]]);
      expect(fake.trash.size).toBe(0);
    });

    it('should complete a delete interrupted after its quota and directory were gone', async () => {
      interrupted({ kind: 'delete' });
      seedRecord({ operationId: OPERATION, state: 'deleting' });
      fake.names.set(`${CLUSTER}/seeded`, VOLUME);
      fake.locks.set(`${CLUSTER}/${VOLUME}`, OPERATION);

      expect(await findings(true)).toEqual([expect.objectContaining({ kind: 'interrupted-delete', repaired: true })]);

      expect(fake.volumes.size + fake.names.size + fake.locks.size).toBe(0);
      expect(operationOnBackend()).toMatchObject({ state: 'succeeded' });
    });

    it('should take the size of an interrupted expand from the quota when it was raised, and settle it succeeded', async () => {
      interrupted({ kind: 'expand' });
      fake.seedVolume(seedRecord({ operationId: OPERATION, sizeGiB: 2 }));
      fake.quotas.set(`${CLUSTER}/${VOLUME}`, 5 * GIB);
      fake.locks.set(`${CLUSTER}/${VOLUME}`, OPERATION);

      expect(await findings(true)).toEqual([
        {
          detail: 'an expand that did not finish; size taken from the quota',
          kind: 'interrupted-expand',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);

      expect(fake.changes()).toEqual(['readQuota', 'saveVolume', 'unlockVolume', 'saveOperation']);
      expect(fake.volumes.get(`${CLUSTER}/${VOLUME}`)).toEqual(volumeRecord({ id: VOLUME, sizeGiB: 5 }));
      expect(fake.quotas.get(`${CLUSTER}/${VOLUME}`)).toBe(5 * GIB);
      expect(fake.locks.size).toBe(0);
      expect(operationOnBackend()).toMatchObject({ state: 'succeeded' });
    });

    it('should keep the recorded size of an expand interrupted before the quota was raised, and settle it failed', async () => {
      interrupted({ kind: 'expand' });
      fake.seedVolume(seedRecord({ operationId: OPERATION, sizeGiB: 2 }));
      fake.locks.set(`${CLUSTER}/${VOLUME}`, OPERATION);

      expect(await findings(true)).toEqual([expect.objectContaining({ kind: 'interrupted-expand', repaired: true })]);

      expect(fake.volumes.get(`${CLUSTER}/${VOLUME}`)).toEqual(volumeRecord({ id: VOLUME, sizeGiB: 2 }));
      expect(fake.locks.size).toBe(0);
      expect(operationOnBackend()).toMatchObject({
        message: 'Failed to expand volume: the piragua instance running it stopped before the quota was raised',
        state: 'failed',
      });
    });

    it('should settle failed an interrupted expand of a volume that no longer exists', async () => {
      interrupted({ kind: 'expand' });

      expect(await findings(true)).toEqual([expect.objectContaining({ kind: 'interrupted-expand', repaired: true })]);

      expect(fake.changes()).toEqual(['saveOperation']);
      expect(operationOnBackend()).toMatchObject({
        message: 'Failed to expand volume: the volume no longer exists',
        state: 'failed',
      });
    });

    it('should take over the operations of another instance that stopped beating', async () => {
      interrupted({ incarnation: 'theirs', kind: 'create', owner: 'spec-2' });
      fake.heartbeats.set(
        `${CLUSTER}/spec-2`,
        heartbeat({ heartbeatAt: new Date(Date.now() - 31_000).toISOString(), incarnation: 'theirs' }),
      );
      fake.seedVolume(seedRecord({ operationId: OPERATION, state: 'creating' }));

      expect(await findings(true)).toEqual([expect.objectContaining({ kind: 'interrupted-create', repaired: true })]);

      expectNothingLeftOf(VOLUME, 'seeded');
      expect(operationOnBackend()).toMatchObject({ state: 'failed' });
    });
  });

  describe('leftovers', () => {
    it('should trash a volume directory that has no record', async () => {
      fake.directories.set(`${CLUSTER}/${VOLUME}`, { name: 'data' });
      fake.names.set(`${CLUSTER}/data`, VOLUME);

      expect(await findings(true)).toEqual([
        {
          detail: 'a volume directory with no record (a create interrupted before it was recorded)',
          kind: 'directory-without-record',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);

      expect(fake.changes()).toEqual(['trashVolumeDirectory', 'releaseName', 'removeVolume']);
      expectNothingLeftOf(VOLUME, 'data');
    });

    it('should remove a quota on a directory that does not exist', async () => {
      fake.quotas.set(`${CLUSTER}/${VOLUME}`, 3 * GIB);

      expect(await findings(true)).toEqual([
        {
          detail: `a quota of ${3 * GIB} bytes on a directory that does not exist`,
          kind: 'quota-without-directory',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);

      expect(fake.changes()).toEqual(['removeQuota']);
      expect(fake.quotas.size).toBe(0);
    });

    it('should leave alone a quota on a path that is not a volume', async () => {
      fake.quotas.set(`${CLUSTER}/.piragua`, GIB);

      expect(await findings(true)).toEqual([]);
    });

    it('should give a ready volume without a quota its recorded size back', async () => {
      fake.seedVolume(seedRecord({ sizeGiB: 3 }));
      fake.quotas.delete(`${CLUSTER}/${VOLUME}`);

      expect(await findings(true)).toEqual([
        {
          detail: 'no quota on a listed volume; its recorded size is 3 GiB',
          kind: 'missing-quota',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);

      expect(fake.callsTo('setQuota')).toEqual([[CLUSTER, VOLUME, 3 * GIB]]);
      expect(fake.changes()).toEqual(['setQuota']);
    });

    it('should not give a quota back to a volume whose delete began after the records were read', async () => {
      fake.heartbeats.set(
        `${CLUSTER}/spec-2`,
        heartbeat({ heartbeatAt: new Date().toISOString(), incarnation: 'theirs' }),
      );
      const record = seedRecord();
      fake.seedVolume(record);
      fake.quotas.delete(`${CLUSTER}/${VOLUME}`);
      const reading = fake.hold('directoryLimits');

      const examining = findings(true);
      await reading.reached;
      interrupted({ id: OTHER_OPERATION, incarnation: 'theirs', kind: 'delete', owner: 'spec-2' });
      fake.volumes.set(`${CLUSTER}/${VOLUME}`, { ...record, operationId: OTHER_OPERATION, state: 'deleting' });
      fake.directories.delete(`${CLUSTER}/${VOLUME}`);
      reading.release();

      expect(await examining).toEqual([]);
      expect(fake.changes()).toEqual([]);
    });

    it('should read the limit of a ready volume whose directory the listing missed, and find it in place', async () => {
      fake.seedVolume(seedRecord());
      // A create that made its directory after the listing and its record before the records were read.
      fake.answerOnce('listVolumeDirectories', async () => []);

      expect(await findings(true)).toEqual([]);

      expect(fake.callsTo('directoryLimits')).toEqual([[CLUSTER, [VOLUME]]]);
      expect(fake.changes()).toEqual([]);
    });

    describe('limits the last usage refresh saw', () => {
      beforeEach(async () => {
        fake.seedVolume(seedRecord());
        fake.seedVolume(volumeRecord({ id: OTHER_VOLUME, name: 'other', sizeGiB: 3 }));
        fake.quotas.delete(`${CLUSTER}/${OTHER_VOLUME}`);
        // The refresh saw VOLUME's limit, which has been removed since.
        usageFake.answerOnce('quotaUsage', async () => new Map([[VOLUME, { limitBytes: 2 * GIB, usedBytes: 0 }]]));
        await quotaUsage.refresh();
        fake.quotas.delete(`${CLUSTER}/${VOLUME}`);
        fake.resetCalls();
      });

      it("should be taken by a light pass, which reads only the other directories' limits", async () => {
        const [report] = await sut.reconcile(true, false);

        expect(report.findings).toEqual([
          expect.objectContaining({ kind: 'missing-quota', repaired: true, volumeId: OTHER_VOLUME }),
        ]);
        expect(fake.callsTo('directoryLimits')).toEqual([[CLUSTER, [OTHER_VOLUME]]]);
        expect(fake.callsTo('quotaLimits')).toEqual([]);
      });

      it('should not be trusted by a thorough pass, which reads every limit afresh', async () => {
        expect((await findings(false)).map(({ kind, volumeId }) => ({ kind, volumeId }))).toEqual([
          { kind: 'missing-quota', volumeId: VOLUME },
          { kind: 'missing-quota', volumeId: OTHER_VOLUME },
        ]);
        expect(fake.callsTo('directoryLimits')).toEqual([[CLUSTER, [VOLUME, OTHER_VOLUME]]]);
      });
    });

    it('should report that quota list failed, and still check everything else', async () => {
      fake.seedVolume(seedRecord({ sizeGiB: 3 }));
      fake.quotas.delete(`${CLUSTER}/${VOLUME}`);
      fake.names.set(`${CLUSTER}/orphan`, OTHER_VOLUME);
      fake.failOnce(
        'quotaLimits',
        new GlusterCommandError({
          args: ['--mode=script', 'volume', 'quota', 'gv0', 'list', '--xml'],
          detail: 'no XML answer from /var/lib/piragua/mounts/gv0',
          exitCode: 1,
          privatePaths: ['/var/lib/piragua/mounts/gv0'],
          stderr: '',
          timedOut: false,
        }),
      );

      const found = await findings(true);

      expect(found).toEqual([
        {
          detail: expect.stringMatching(
            /^quota list failed, so quotas on directories that no longer exist were not searched for: no XML answer from <mount point>\. Gluster 10 fails the whole list/,
          ),
          kind: 'quota-list-failed',
          repaired: false,
        },
        expect.objectContaining({ kind: 'missing-quota', repaired: true, volumeId: VOLUME }),
        expect.objectContaining({ kind: 'orphan-name', repaired: true, volumeId: OTHER_VOLUME }),
      ]);
      expect(fake.quotas.get(`${CLUSTER}/${VOLUME}`)).toBe(3 * GIB);
    });

    it('should release a name reserved for a volume that does not exist', async () => {
      fake.seedVolume(seedRecord());
      fake.names.set(`${CLUSTER}/orphan`, OTHER_VOLUME);

      expect(await findings(true)).toEqual([
        {
          detail: "the name 'orphan' is reserved for a volume that does not exist",
          kind: 'orphan-name',
          repaired: true,
          volumeId: OTHER_VOLUME,
        },
      ]);

      expect(fake.callsTo('releaseName')).toEqual([[CLUSTER, 'orphan', OTHER_VOLUME]]);
      expect(fake.names).toEqual(new Map([[`${CLUSTER}/seeded`, VOLUME]]));
    });

    it.each([
      ['no record at all', undefined],
      ['a settled record', 'succeeded' as const],
    ])('should release the lock of an operation that has %s', async (_case, state) => {
      fake.seedVolume(seedRecord());
      fake.locks.set(`${CLUSTER}/${VOLUME}`, OTHER_OPERATION);
      if (state) {
        fake.operations.set(
          `${CLUSTER}/${OTHER_OPERATION}`,
          operationRecord({ id: OTHER_OPERATION, incarnation: config.incarnation, kind: 'expand', state }),
        );
      }

      expect(await findings(true)).toEqual([
        {
          detail: `locked by operation ${OTHER_OPERATION}, which is no longer running`,
          kind: 'stale-lock',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);

      expect(fake.changes()).toEqual(['unlockVolume']);
      expect(fake.callsTo('unlockVolume')).toEqual([[CLUSTER, VOLUME, OTHER_OPERATION]]);
      expect(fake.locks.size).toBe(0);
    });

    it('should release a stale lock left on a volume that no longer exists at all', async () => {
      fake.locks.set(`${CLUSTER}/${VOLUME}`, OTHER_OPERATION);

      expect(await findings(true)).toEqual([
        {
          detail: `locked by operation ${OTHER_OPERATION}, which is no longer running`,
          kind: 'stale-lock',
          repaired: true,
          volumeId: VOLUME,
        },
      ]);
      expect(fake.locks.size).toBe(0);
    });

    it('should find nothing on a consistent backend', async () => {
      fake.seedVolume(seedRecord());
      fake.seedVolume(volumeRecord({ id: OTHER_VOLUME, name: 'other' }));

      expect(await findings(true)).toEqual([]);
      expect(fake.changes()).toEqual([]);
    });

    it('should report a repair that failed as not repaired, and go on with the others', async () => {
      fake.quotas.set(`${CLUSTER}/${VOLUME}`, GIB);
      fake.names.set(`${CLUSTER}/orphan`, OTHER_VOLUME);
      fake.failOnce('removeQuota', errnoError('EIO'));

      expect(await findings(true)).toEqual([
        expect.objectContaining({
          detail: `a quota of ${GIB} bytes on a directory that does not exist; repair failed: EIO`,
          kind: 'quota-without-directory',
          repaired: false,
        }),
        expect.objectContaining({ kind: 'orphan-name', repaired: true }),
      ]);
    });
  });

  describe('work in progress', () => {
    it('should leave an operation of another live instance completely alone', async () => {
      fake.heartbeats.set(
        `${CLUSTER}/spec-2`,
        heartbeat({ heartbeatAt: new Date(Date.now() - 5_000).toISOString(), incarnation: 'theirs' }),
      );
      // A create: its directory, name and quota exist, its record not yet.
      interrupted({ id: OPERATION, incarnation: 'theirs', kind: 'create', owner: 'spec-2', volumeId: OTHER_VOLUME });
      fake.directories.set(`${CLUSTER}/${OTHER_VOLUME}`, { name: 'new' });
      fake.names.set(`${CLUSTER}/new`, OTHER_VOLUME);
      fake.quotas.set(`${CLUSTER}/${OTHER_VOLUME}`, GIB);
      // An expand: the volume is locked and marked, and its quota already raised.
      interrupted({ id: OTHER_OPERATION, incarnation: 'theirs', kind: 'expand', owner: 'spec-2', volumeId: VOLUME });
      fake.seedVolume(seedRecord({ operationId: OTHER_OPERATION }));
      fake.quotas.set(`${CLUSTER}/${VOLUME}`, 4 * GIB);
      fake.locks.set(`${CLUSTER}/${VOLUME}`, OTHER_OPERATION);
      const before = backendState();

      expect(await findings(true)).toEqual([]);

      expect(fake.changes()).toEqual([]);
      expect(backendState()).toEqual(before);
    });

    it('should leave alone an operation this incarnation is running', async () => {
      fake.seedVolume(seedRecord());
      let finish!: () => void;
      const operationId = await operations.start({
        clusterId: CLUSTER,
        kind: 'expand',
        operationId: OPERATION,
        prepare: async () => {
          await fake.lockVolume(CLUSTER, VOLUME, OPERATION);
          await fake.saveVolume(volumeRecord({ id: VOLUME, operationId: OPERATION }));
        },
        volumeId: VOLUME,
        work: () => new Promise<void>((resolve) => (finish = resolve)),
      });

      expect(await findings(true)).toEqual([]);
      expect(fake.changes()).toEqual([]);

      finish();
      await flush();
      expect(await operations.status(operationId)).toMatchObject({ state: 'done' });
    });
  });

  describe('reconcile(false)', () => {
    it('should report every finding as not repaired, and change nothing', async () => {
      interrupted({ kind: 'delete' });
      fake.seedVolume(seedRecord({ operationId: OPERATION, state: 'deleting' }));
      fake.locks.set(`${CLUSTER}/${VOLUME}`, OPERATION);
      fake.seedVolume(volumeRecord({ id: OTHER_VOLUME, name: 'other' }));
      fake.quotas.delete(`${CLUSTER}/${OTHER_VOLUME}`);
      fake.locks.set(`${CLUSTER}/${OTHER_VOLUME}`, OTHER_OPERATION);
      fake.directories.set(`${CLUSTER}/${'d'.repeat(32)}`, { name: 'stray' });
      fake.quotas.set(`${CLUSTER}/${'e'.repeat(32)}`, GIB);
      fake.names.set(`${CLUSTER}/orphan`, 'f'.repeat(32));
      const before = backendState();
      fake.forbidChanges();

      const found = await findings(false);

      expect(found.map(({ kind, repaired, volumeId }) => ({ kind, repaired, volumeId }))).toEqual([
        { kind: 'interrupted-delete', repaired: false, volumeId: VOLUME },
        { kind: 'directory-without-record', repaired: false, volumeId: 'd'.repeat(32) },
        { kind: 'quota-without-directory', repaired: false, volumeId: 'e'.repeat(32) },
        { kind: 'missing-quota', repaired: false, volumeId: OTHER_VOLUME },
        { kind: 'orphan-name', repaired: false, volumeId: 'f'.repeat(32) },
        { kind: 'stale-lock', repaired: false, volumeId: OTHER_VOLUME },
      ]);
      expect(fake.changes()).toEqual([]);
      await flush();
      expect(fake.callsTo('trashEntries')).toEqual([]);
      expect(backendState()).toEqual(before);
    });
  });

  describe('reconcile', () => {
    it('should run one pass at a time, starting a pass asked for meanwhile after the running one', async () => {
      fake.quotas.set(`${CLUSTER}/${VOLUME}`, GIB);
      const reading = fake.hold('quotaLimits');

      const examining = sut.reconcile(false);
      await reading.reached;
      const repairing = sut.reconcile(true);
      expect(fake.callsTo('loadVolumes')).toHaveLength(1);
      reading.release();

      // The examination reports without repairing; the repair asked for meanwhile still repairs.
      expect((await examining)[0].findings).toEqual([
        expect.objectContaining({ kind: 'quota-without-directory', repaired: false }),
      ]);
      expect((await repairing)[0].findings).toEqual([
        expect.objectContaining({ kind: 'quota-without-directory', repaired: true }),
      ]);
      expect(fake.callsTo('removeQuota')).toEqual([[CLUSTER, VOLUME]]);
      expect(await sut.reconcile(true)).toEqual([{ cluster: CLUSTER, findings: [], volume: 'gv0' }]);
    });

    it('should go on with the other clusters when one cannot be read', async () => {
      const other = 'bbbb0000bbbb0000bbbb0000bbbb0000';
      fake.topology = [fakeCluster(), fakeCluster({ id: other, volumeName: 'gv1' })];
      fake.failOnce('loadVolumes', errnoError('EIO'));

      expect(await sut.reconcile(true)).toEqual([{ cluster: other, findings: [], volume: 'gv1' }]);
    });

    describe('periodic passes', () => {
      beforeEach(() => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      });

      afterEach(() => {
        vi.useRealTimers();
      });

      /** Lets the next periodic pass start and finish. */
      async function nextPass(): Promise<void> {
        await vi.advanceTimersByTimeAsync(config.reconcileIntervalMs);
        await flush();
      }

      it('should make the first pass and every tenth thorough: searching for quotas without a directory', async () => {
        await sut.onApplicationBootstrap();
        expect(fake.callsTo('quotaLimits')).toHaveLength(1);
        fake.quotas.set(`${CLUSTER}/${VOLUME}`, GIB);
        fake.seedVolume(volumeRecord({ id: OTHER_VOLUME, name: 'other', sizeGiB: 4 }));
        fake.quotas.delete(`${CLUSTER}/${OTHER_VOLUME}`);

        await nextPass();

        // The volume's own limit is read on the second pass already; the orphan waits for the search.
        expect(fake.quotas.get(`${CLUSTER}/${OTHER_VOLUME}`)).toBe(4 * GIB);
        expect(passed?.findings).toEqual(new Map([['missing-quota', 1]]));
        for (let pass = 3; pass <= 10; pass++) {
          await nextPass();
        }
        expect(fake.callsTo('quotaLimits')).toHaveLength(1);
        expect(fake.callsTo('directoryLimits')).toHaveLength(10);
        expect(fake.quotas.get(`${CLUSTER}/${VOLUME}`)).toBe(GIB);

        await nextPass();

        expect(fake.callsTo('quotaLimits')).toHaveLength(2);
        expect(fake.quotas.has(`${CLUSTER}/${VOLUME}`)).toBe(false);
        expect(passed?.findings).toEqual(new Map([['quota-without-directory', 1]]));
      });

      it('should count the periodic passes it finished, and not the examinations asked for', async () => {
        await sut.onApplicationBootstrap();
        expect(passed?.passes).toBe(1);
        await nextPass();
        await nextPass();
        await sut.reconcile(false);
        expect(passed?.passes).toBe(3);
      });

      it('should make every examination and repair asked for thorough', async () => {
        await sut.onApplicationBootstrap();
        await nextPass();
        fake.quotas.set(`${CLUSTER}/${VOLUME}`, GIB);

        expect(await sut.reconcile(false)).toEqual([
          {
            cluster: CLUSTER,
            findings: [expect.objectContaining({ kind: 'quota-without-directory', repaired: false })],
            volume: 'gv0',
          },
        ]);
        expect(await sut.reconcile(true)).toEqual([
          {
            cluster: CLUSTER,
            findings: [expect.objectContaining({ kind: 'quota-without-directory', repaired: true })],
            volume: 'gv0',
          },
        ]);
        expect(fake.callsTo('quotaLimits')).toHaveLength(3);
      });
    });

    it('should repair at start-up and count what it found by kind', async () => {
      fake.quotas.set(`${CLUSTER}/${VOLUME}`, GIB);
      fake.names.set(`${CLUSTER}/orphan`, OTHER_VOLUME);
      fake.names.set(`${CLUSTER}/orphan-too`, OTHER_VOLUME);

      await sut.onApplicationBootstrap();

      expect(fake.quotas.size + fake.names.size).toBe(0);
      expect(passed?.findings).toEqual(
        new Map([
          ['quota-without-directory', 1],
          ['orphan-name', 2],
        ]),
      );
    });
  });
});
