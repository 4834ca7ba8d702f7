import { INestApplicationContext } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { createTestingContext } from '../../test/factories/nest-app.factory.js';
import { errnoError, FakeStorage, fakeCluster, storageProviders } from '../../test/fakes/fake-storage.js';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import { AppConfig } from '../config/app-config.js';
import { ClusterTopology, GIB, VolumeRecord } from '../backends/backend.types.js';
import type { CreateVolumeDto } from './dto/create-volume.dto.js';
import { OperationsService, QueueStatus } from '../operations/operations.service.js';
import { TrashPurgeService } from '../reconciler/trash-purge.service.js';
import { VolumeChangesService } from './volume-changes.service.js';
import { VolumeUndoService } from './volume-undo.service.js';
import { PlacementService } from './placement.service.js';
import { VolumeIndexService } from './volume-index.service.js';
import { VolumesService } from './volumes.service.js';

const CLUSTER = fakeCluster().id;
const CLUSTER_A = 'aaaa0000aaaa0000aaaa0000aaaa0000';
const CLUSTER_B = 'bbbb0000bbbb0000bbbb0000bbbb0000';
const SEEDED = '5eed5eed5eed5eed5eed5eed5eed5eed';
const UNKNOWN = '0123456789abcdef0123456789abcdef';
const BUSY = 'The target exists, contains other items, or is in use.';
/** An operation of another instance, holding a volume's lock. */
const OTHER_OPERATION = '07e907e907e907e907e907e907e907e9';

interface Options {
  clusters?: ClusterTopology[];
  env?: Record<string, string>;
  seed?: VolumeRecord[];
}

function volumeRecord(overrides: Partial<VolumeRecord> = {}): VolumeRecord {
  return {
    clusterId: CLUSTER,
    createdAt: '2026-01-01T00:00:00.000Z',
    durability: { disperse: {}, replicate: { replica: 3 }, type: 'replicate' },
    id: SEEDED,
    name: 'seeded',
    sizeGiB: 2,
    snapshot: { enable: true, factor: 1 },
    state: 'ready',
    ...overrides,
  };
}

/** Lets background work that is not waiting on anything run to its end. */
async function flush(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function rejection(promise: Promise<unknown>): Promise<PiraguaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PiraguaError);
    return error as PiraguaError;
  }
  throw new Error('expected a rejection');
}

describe(VolumesService.name, () => {
  let context: INestApplicationContext | undefined;
  let fake: FakeStorage;
  let operations: OperationsService;
  let sut: VolumesService;

  /** Builds the services over a fake holding `seed`, runs their start-up, and forgets the calls it made. */
  async function setup({ clusters = [fakeCluster()], env = {}, seed = [] }: Options = {}): Promise<void> {
    fake = new FakeStorage(clusters).forbid('probe', 'probeNames', 'quotaUsage');
    seed.forEach((record) => fake.seedVolume(record));
    context = await createTestingContext({
      providers: [
        { provide: AppConfig, useValue: appConfig({ PIRAGUA_INSTANCE_ID: 'spec-1', ...env }) },
        ...storageProviders(fake),
        OperationsService,
        PlacementService,
        TrashPurgeService,
        VolumeChangesService,
        VolumeIndexService,
        VolumesService,
        VolumeUndoService,
      ],
    });
    operations = context.get(OperationsService);
    sut = context.get(VolumesService);
    await context.get(VolumeIndexService).visibleIds();
    await flush();
    fake.resetCalls();
  }

  afterEach(async () => {
    vi.useRealTimers();
    await context?.close();
    context = undefined;
    expect(fake.violations).toEqual([]);
  });

  /** Polls like a client until the operation is no longer pending; with fake timers, time passes between polls. */
  async function outcome(operationId: string): Promise<QueueStatus> {
    for (let poll = 0; poll < 1000; poll++) {
      const status = await operations.status(operationId);
      if (status.state !== 'pending') {
        return status;
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (vi.isFakeTimers()) {
        await vi.advanceTimersByTimeAsync(100);
      }
    }
    throw new Error(`operation ${operationId} is still pending`);
  }

  /** Starts a create and returns the operation and the new volume's id. */
  async function startCreate(dto: CreateVolumeDto): Promise<{ operationId: string; volumeId: string }> {
    const operationId = await sut.create(dto);
    const operation = [...fake.operations.values()].find((candidate) => candidate.id === operationId);
    return { operationId, volumeId: operation!.volumeId };
  }

  async function createdVolume(dto: CreateVolumeDto): Promise<string> {
    const { operationId, volumeId } = await startCreate(dto);
    expect(await outcome(operationId)).toEqual({ location: `/volumes/${volumeId}`, state: 'done' });
    return volumeId;
  }

  /** Out of the namespace; a quota it had went into the trash with the directory, for the purge. */
  function expectGone(volumeId: string, name: string, clusterId = CLUSTER): void {
    expect(fake.quotas.has(`${clusterId}/${volumeId}`)).toBe(false);
    expect(fake.directories.has(`${clusterId}/${volumeId}`)).toBe(false);
    expect(fake.volumes.has(`${clusterId}/${volumeId}`)).toBe(false);
    expect(fake.names.has(`${clusterId}/${name}`)).toBe(false);
  }

  describe('create', () => {
    it('should record the operation, claim the name, make the directory, set and verify the quota, then record it ready', async () => {
      await setup();

      const { operationId, volumeId } = await startCreate({ gid: 2001, name: 'data', size: 2 });

      expect(await outcome(operationId)).toEqual({ location: `/volumes/${volumeId}`, state: 'done' });
      expect(fake.changes()).toEqual([
        'saveOperation',
        'claimName',
        'createVolumeDirectory',
        'setQuota',
        'readQuota',
        'saveVolume',
        'saveOperation',
        'removeOperation',
      ]);
      expect(fake.callsTo('assertCanProvision')).toEqual([[CLUSTER]]);
      expect(fake.callsTo('claimName')).toEqual([[CLUSTER, 'data', volumeId]]);
      expect(fake.callsTo('createVolumeDirectory')).toEqual([[CLUSTER, volumeId, 'data', 2001, false]]);
      expect(fake.callsTo('setQuota')).toEqual([[CLUSTER, volumeId, 2 * GIB]]);
      expect(fake.callsTo('readQuota')).toEqual([[CLUSTER, volumeId]]);
      expect(fake.callsTo('saveVolume')).toEqual([
        [
          expect.objectContaining({
            clusterId: CLUSTER,
            gid: 2001,
            id: volumeId,
            name: 'data',
            operationId: undefined,
            sizeGiB: 2,
            state: 'ready',
          }),
        ],
      ]);
      // No pool configured: not even looked at.
      expect(fake.callsTo('claimPooledDirectory')).toEqual([]);
    });

    describe('warm pool', () => {
      const pooledEnv = {
        env: { PIRAGUA_BACKEND: 'gluster', PIRAGUA_GLUSTER_VOLUMES: 'gv0', PIRAGUA_WARM_POOL: '2:4' },
      };

      it('should claim a pooled directory of the requested size and set no quota', async () => {
        await setup(pooledEnv);
        fake.pool.set(`${CLUSTER}/2`, 1);

        const { operationId, volumeId } = await startCreate({ gid: 2001, name: 'data', size: 2 });

        expect(await outcome(operationId)).toEqual({ location: `/volumes/${volumeId}`, state: 'done' });
        expect(fake.changes()).toEqual([
          'saveOperation',
          'claimName',
          'claimPooledDirectory',
          'createVolumeDirectory',
          'readQuota',
          'saveVolume',
          'saveOperation',
          'removeOperation',
        ]);
        expect(fake.callsTo('createVolumeDirectory')).toEqual([[CLUSTER, volumeId, 'data', 2001, true]]);
        // The pooled quota is read back once instead of set.
        expect(fake.callsTo('readQuota')).toEqual([[CLUSTER, volumeId]]);
        expect(fake.quotas.get(`${CLUSTER}/${volumeId}`)).toBe(2 * GIB);
        expect(fake.pool.get(`${CLUSTER}/2`)).toBe(0);
      });

      it('should make the directory and set the quota when the pool of that size is empty, or the size is not pooled', async () => {
        await setup(pooledEnv);

        const fromEmptyPool = await createdVolume({ name: 'empty', size: 2 });
        const unpooled = await createdVolume({ name: 'unpooled', size: 3 });

        expect(fake.callsTo('claimPooledDirectory')).toEqual([[CLUSTER, 2, fromEmptyPool]]);
        expect(fake.callsTo('setQuota')).toEqual([
          [CLUSTER, fromEmptyPool, 2 * GIB],
          [CLUSTER, unpooled, 3 * GIB],
        ]);
      });

      it('should set the quota itself when a claimed directory does not read back with it', async () => {
        await setup(pooledEnv);
        fake.pool.set(`${CLUSTER}/2`, 1);
        fake.answerOnce('readQuota', async () => undefined);

        const volumeId = await createdVolume({ name: 'data', size: 2 });

        expect(fake.callsTo('setQuota')).toEqual([[CLUSTER, volumeId, 2 * GIB]]);
        expect(fake.quotas.get(`${CLUSTER}/${volumeId}`)).toBe(2 * GIB);
      });

      it('should trash a claimed directory, quota and all, when a later step fails', async () => {
        await setup(pooledEnv);
        fake.pool.set(`${CLUSTER}/2`, 1);
        fake.failOnce('saveVolume', errnoError('ENOSPC'));

        const { operationId, volumeId } = await startCreate({ name: 'data', size: 2 });

        expect(await outcome(operationId)).toEqual({
          message: 'Failed to create volume: record volume: ENOSPC',
          state: 'failed',
        });
        expectGone(volumeId, 'data');
        expect(fake.claimedPoolDirectories.size).toBe(0);
        expect(fake.callsTo('trashVolumeDirectory')).toEqual([[CLUSTER, volumeId]]);
      });
    });

    it('should then show the volume as Heketi does', async () => {
      await setup();

      const volumeId = await createdVolume({
        durability: { disperse: {}, replicate: { replica: 3 }, type: 'replicate' },
        gid: 2001,
        glustervolumeoptions: ['performance.x on'],
        name: 'data',
        size: 2,
        snapshot: { enable: true, factor: 1 },
      });

      expect(await sut.info(volumeId)).toEqual({
        size: 2,
        name: `gv0/${volumeId}/data`,
        durability: { disperse: {}, replicate: { replica: 3 }, type: 'replicate' },
        gid: 2001,
        glustervolumeoptions: ['performance.x on'],
        snapshot: { enable: true, factor: 1 },
        id: volumeId,
        cluster: CLUSTER,
        mount: {
          glusterfs: {
            device: `10.0.0.1:gv0/${volumeId}/data`,
            hosts: ['10.0.0.1'],
            options: { 'backup-volfile-servers': '' },
          },
        },
        blockinfo: {},
        bricks: [],
      });
      expect(await sut.list()).toEqual({ volumes: [volumeId] });
      expect(fake.quotas.get(`${CLUSTER}/${volumeId}`)).toBe(2 * GIB);
    });

    it('should name the volume vol_<id> when the request names none', async () => {
      await setup();

      const volumeId = await createdVolume({ name: '', size: 1 });

      expect(fake.callsTo('claimName')).toEqual([[CLUSTER, `vol_${volumeId}`, volumeId]]);
      expect((await sut.info(volumeId)).name).toBe(`gv0/${volumeId}/vol_${volumeId}`);
    });

    it('should hide the volume until it is ready', async () => {
      await setup();
      const quota = fake.hold('setQuota');

      const { operationId, volumeId } = await startCreate({ name: 'data', size: 1 });
      await quota.reached;

      expect(await operations.status(operationId)).toEqual({ state: 'pending' });
      await expect(sut.info(volumeId)).rejects.toMatchObject({ code: ErrorCode.NotFound, message: 'Id not found' });
      expect(await sut.list()).toEqual({ volumes: [] });

      quota.release();

      expect(await outcome(operationId)).toMatchObject({ state: 'done' });
      expect((await sut.info(volumeId)).id).toBe(volumeId);
    });

    it('should deliver the result once, then answer Id not found', async () => {
      await setup();
      const { operationId } = await startCreate({ size: 1 });

      await outcome(operationId);

      await expect(operations.status(operationId)).rejects.toMatchObject({
        code: ErrorCode.NotFound,
        message: 'Id not found',
      });
    });

    it('should refuse a name another volume holds, before starting anything', async () => {
      await setup({ seed: [volumeRecord({ name: 'data' })] });

      const error = await rejection(sut.create({ name: 'data', size: 1 }));

      expect({ code: error.code, message: error.message }).toEqual({
        code: ErrorCode.Failed,
        message: "Failed to allocate new volume: Volume name 'data' already in use",
      });
      expect(fake.changes()).toEqual(['saveOperation', 'claimName', 'removeOperation']);
      expect(fake.operations.size).toBe(0);
      expect(fake.names.get(`${CLUSTER}/data`)).toBe(SEEDED);
      expect(operations.inFlight).toBe(0);
      expect(await sut.list()).toEqual({ volumes: [SEEDED] });
      expect(await context!.get(VolumeIndexService).reservedGiB(CLUSTER)).toBe(2);
    });

    it('should let exactly one of two concurrent creates of one name win', async () => {
      await setup();

      const results = await Promise.allSettled([
        sut.create({ name: 'data', size: 1 }),
        sut.create({ name: 'data', size: 1 }),
      ]);

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(refused?.reason).toMatchObject({
        message: "Failed to allocate new volume: Volume name 'data' already in use",
      });
    });

    it('should report a failure to reserve the name without its path', async () => {
      await setup();
      fake.failOnce('claimName', errnoError('EIO', '/srv/gluster/gv0/.piragua/names/data'));

      const error = await rejection(sut.create({ name: 'data', size: 1 }));

      expect(error.message).toBe('Failed to allocate new volume: reserve name: EIO');
      expect(fake.changes()).toEqual(['saveOperation', 'claimName', 'removeOperation']);
      expect(fake.operations.size).toBe(0);
    });

    it('should check the request before touching the backend', async () => {
      await setup();

      const error = await rejection(sut.create({ name: 'a/b', size: 1 }));

      expect(error.message).toBe('validation failed: name: must be in a valid format.');
      expect(fake.calls).toEqual([]);
    });

    it('should not claim the name when the operation cannot be recorded', async () => {
      await setup();
      fake.failOnce('saveOperation', errnoError('EROFS'));

      await expect(sut.create({ name: 'data', size: 3 })).rejects.toMatchObject({ code: 'EROFS' });

      expect(fake.changes()).toEqual(['saveOperation', 'removeOperation']);
      expect(fake.names.size).toBe(0);
      expect(await context!.get(VolumeIndexService).reservedGiB(CLUSTER)).toBe(0);
    });

    describe('rollback', () => {
      it.each([
        ['create directory', 'createVolumeDirectory', 0, 'EACCES'],
        ['record volume', 'saveVolume', 0, 'ENOSPC'],
        ['set quota', 'setQuota', 0, 'EIO'],
        ['verify quota', 'readQuota', 0, 'EIO'],
      ] as const)('should undo everything when "%s" fails', async (step, method, skip, code) => {
        await setup();
        fake.failOnce(method, errnoError(code, '/srv/gluster/gv0/secret/path'), skip);

        const { operationId, volumeId } = await startCreate({ name: 'data', size: 2 });
        const status = await outcome(operationId);

        expect(status).toEqual({ message: `Failed to create volume: ${step}: ${code}`, state: 'failed' });
        expect((status as { message: string }).message).not.toContain('/');
        const changes = fake.changes();
        expect(changes.slice(-5)).toEqual([
          'trashVolumeDirectory',
          'releaseName',
          'removeVolume',
          'saveOperation',
          'removeOperation',
        ]);
        expect(fake.callsTo('releaseName')).toEqual([[CLUSTER, 'data', volumeId]]);
        expectGone(volumeId, 'data');
        await expect(sut.info(volumeId)).rejects.toMatchObject({ message: 'Id not found' });
        expect(await sut.list()).toEqual({ volumes: [] });
        expect(await context!.get(VolumeIndexService).reservedGiB(CLUSTER)).toBe(0);
        await flush();
        expect(fake.callsTo('trashEntries')).toContainEqual([CLUSTER]);
      });

      it('should show the public message of a backend error', async () => {
        await setup();
        fake.failOnce(
          'setQuota',
          Object.assign(new Error('gluster exited 1 on /bricks/x'), {
            publicMessage: 'quota: Limit exceeds the volume size',
          }),
        );

        const { operationId } = await startCreate({ name: 'data', size: 2 });

        expect(await outcome(operationId)).toEqual({
          message: 'Failed to create volume: set quota: quota: Limit exceeds the volume size',
          state: 'failed',
        });
      });

      it.each([
        ['another size', async () => 1 * GIB, `the quota reads back as ${GIB} instead of ${2 * GIB} bytes`],
        ['nothing', async () => undefined, `the quota reads back as missing instead of ${2 * GIB} bytes`],
      ])('should undo the create when the quota keeps reading back as %s', async (_case, readBack, reason) => {
        await setup();
        vi.useFakeTimers({ toFake: ['setTimeout'] });
        fake.answerEvery('readQuota', readBack);

        const { operationId, volumeId } = await startCreate({ name: 'data', size: 2 });

        expect(await outcome(operationId)).toEqual({
          message: `Failed to create volume: verify quota: ${reason}`,
          state: 'failed',
        });
        expect(fake.callsTo('readQuota').length).toBeGreaterThan(1);
        expectGone(volumeId, 'data');
      });

      it('should accept a quota that reads back right on a later attempt', async () => {
        await setup();
        vi.useFakeTimers({ toFake: ['setTimeout'] });
        fake.answerOnce('readQuota', async () => undefined);

        const volumeId = await createdVolume({ name: 'data', size: 2 });

        expect(fake.callsTo('readQuota')).toEqual([
          [CLUSTER, volumeId],
          [CLUSTER, volumeId],
        ]);
        expect(fake.quotas.get(`${CLUSTER}/${volumeId}`)).toBe(2 * GIB);
      });

      it('should try every undo step even when one of them fails', async () => {
        await setup();
        fake.failOnce('setQuota', errnoError('EIO')).failOnce('trashVolumeDirectory', errnoError('EIO'));

        const { operationId, volumeId } = await startCreate({ name: 'data', size: 2 });

        expect(await outcome(operationId)).toEqual({
          message: 'Failed to create volume: set quota: EIO',
          state: 'failed',
        });
        expect(fake.callsTo('trashVolumeDirectory')).toEqual([[CLUSTER, volumeId]]);
        expect(fake.callsTo('releaseName')).toEqual([[CLUSTER, 'data', volumeId]]);
        await expect(sut.info(volumeId)).rejects.toMatchObject({ message: 'Id not found' });
      });

      it('should free the name for the next create', async () => {
        await setup();
        fake.failOnce('setQuota');
        await outcome((await startCreate({ name: 'data', size: 2 })).operationId);

        const volumeId = await createdVolume({ name: 'data', size: 2 });

        expect((await sut.info(volumeId)).name).toBe(`gv0/${volumeId}/data`);
      });
    });
  });

  describe('placement', () => {
    it('should answer No space once the sizes would exceed the capacity', async () => {
      await setup({ clusters: [fakeCluster({ capacityGiB: 10 })] });
      await createdVolume({ size: 6 });
      fake.resetCalls();

      const error = await rejection(sut.create({ size: 5 }));

      expect({ code: error.code, message: error.message }).toEqual({
        code: ErrorCode.Failed,
        message: 'Failed to allocate new volume: No space',
      });
      expect(fake.changes()).not.toContain('claimName');
      await createdVolume({ size: 4 });
    });

    it('should place against capacity × PIRAGUA_OVERCOMMIT', async () => {
      await setup({ clusters: [fakeCluster({ capacityGiB: 10 })], env: { PIRAGUA_OVERCOMMIT: '2' } });
      await createdVolume({ size: 15 });

      await expect(sut.create({ size: 6 })).rejects.toMatchObject({
        message: 'Failed to allocate new volume: No space',
      });
      await createdVolume({ size: 5 });
    });

    it('should count volumes still being created', async () => {
      await setup({ clusters: [fakeCluster({ capacityGiB: 10 })] });
      const quota = fake.hold('setQuota');
      const { operationId } = await startCreate({ size: 6 });

      await expect(sut.create({ size: 5 })).rejects.toMatchObject({
        message: 'Failed to allocate new volume: No space',
      });

      quota.release();
      await outcome(operationId);
    });

    it('should count the volumes that were there at start-up', async () => {
      await setup({ clusters: [fakeCluster({ capacityGiB: 10 })], seed: [volumeRecord({ sizeGiB: 8 })] });

      await expect(sut.create({ size: 3 })).rejects.toMatchObject({
        message: 'Failed to allocate new volume: No space',
      });
    });

    it('should answer 400 for a requested cluster that does not exist', async () => {
      await setup();

      const error = await rejection(sut.create({ clusters: [UNKNOWN], size: 1 }));

      expect({ code: error.code, message: error.message }).toEqual({
        code: ErrorCode.InvalidRequest,
        message: `Cluster id ${UNKNOWN} not found`,
      });
      expect(fake.changes()).toEqual([]);
    });

    it('should answer 400 when there are no clusters', async () => {
      await setup({ clusters: [] });

      await expect(sut.create({ size: 1 })).rejects.toMatchObject({
        code: ErrorCode.InvalidRequest,
        message: 'No clusters configured',
      });
    });

    it('should choose the cluster with the most room', async () => {
      await setup({
        clusters: [fakeCluster({ capacityGiB: 10, id: CLUSTER_A }), fakeCluster({ capacityGiB: 20, id: CLUSTER_B })],
      });

      const volumeId = await createdVolume({ size: 1 });

      expect((await sut.info(volumeId)).cluster).toBe(CLUSTER_B);
      expect(fake.callsTo('claimName')).toEqual([[CLUSTER_B, `vol_${volumeId}`, volumeId]]);
    });

    it('should take what is already placed into account when choosing', async () => {
      await setup({
        clusters: [fakeCluster({ capacityGiB: 10, id: CLUSTER_A }), fakeCluster({ capacityGiB: 20, id: CLUSTER_B })],
        seed: [volumeRecord({ clusterId: CLUSTER_B, sizeGiB: 15 })],
      });

      expect((await sut.info(await createdVolume({ size: 1 }))).cluster).toBe(CLUSTER_A);
    });

    it('should keep to the requested clusters', async () => {
      await setup({
        clusters: [fakeCluster({ capacityGiB: 10, id: CLUSTER_A }), fakeCluster({ capacityGiB: 20, id: CLUSTER_B })],
      });

      expect((await sut.info(await createdVolume({ clusters: [CLUSTER_A], size: 1 }))).cluster).toBe(CLUSTER_A);
      await expect(sut.create({ clusters: [CLUSTER_A], size: 10 })).rejects.toMatchObject({
        message: 'Failed to allocate new volume: No space',
      });
    });

    it('should refuse a cluster the topology says cannot take new volumes', async () => {
      await setup();
      fake.unprovisionable.set(CLUSTER, new PiraguaError(ErrorCode.Unavailable, 'Gluster volume gv0 is not started'));

      const error = await rejection(sut.create({ size: 1 }));

      expect({ code: error.code, message: error.message }).toEqual({
        code: ErrorCode.Unavailable,
        message: 'Failed to allocate new volume: Gluster volume gv0 is not started',
      });
      expect(fake.changes()).toEqual([]);
    });
  });

  describe('throttling', () => {
    it('should answer 429 while HEKETI_MAX_INFLIGHT_OPERATIONS operations run', async () => {
      await setup({ env: { HEKETI_MAX_INFLIGHT_OPERATIONS: '1' }, seed: [volumeRecord()] });
      const quota = fake.hold('setQuota');
      const { operationId } = await startCreate({ size: 1 });
      await quota.reached;

      for (const attempt of [
        () => sut.create({ size: 1 }),
        () => sut.expand(SEEDED, { expand_size: 1 }),
        () => sut.remove(SEEDED),
      ]) {
        const error = await rejection(attempt());
        expect({ code: error.code, message: error.message }).toEqual({
          code: ErrorCode.Busy,
          message: 'Server busy. Retry operation later.',
        });
      }

      quota.release();
      await outcome(operationId);
      await createdVolume({ size: 1 });
    });

    it('should count an operation from before its volume is locked and marked, so a second one cannot take its slot', async () => {
      await setup({ env: { HEKETI_MAX_INFLIGHT_OPERATIONS: '1' }, seed: [volumeRecord()] });
      const marking = fake.hold('saveVolume');
      const expand = sut.expand(SEEDED, { expand_size: 1 });
      await marking.reached;

      await expect(sut.create({ size: 1 })).rejects.toMatchObject({ code: ErrorCode.Busy });
      marking.release();

      expect(await outcome(await expand)).toMatchObject({ state: 'done' });
      expect(fake.locks.size).toBe(0);
      expect((await sut.info(SEEDED)).size).toBe(3);
      await createdVolume({ size: 1 });
    });
  });

  describe('expand', () => {
    it('should raise the quota by the delta, verify it and record the new size', async () => {
      await setup({ seed: [volumeRecord()] });

      const operationId = await sut.expand(SEEDED, { expand_size: 3 });

      expect(await outcome(operationId)).toEqual({ location: `/volumes/${SEEDED}`, state: 'done' });
      expect(fake.changes()).toEqual([
        'saveOperation',
        'lockVolume',
        'saveVolume',
        'setQuota',
        'readQuota',
        'saveVolume',
        'unlockVolume',
        'saveOperation',
        'removeOperation',
      ]);
      expect(fake.callsTo('lockVolume')).toEqual([[CLUSTER, SEEDED, operationId]]);
      expect(fake.callsTo('unlockVolume')).toEqual([[CLUSTER, SEEDED, operationId]]);
      expect(fake.locks.size).toBe(0);
      const [marked, grown] = fake.callsTo('saveVolume').map(([record]) => record as VolumeRecord);
      expect(marked).toMatchObject({ operationId, sizeGiB: 2, state: 'ready' });
      expect(grown).toMatchObject({ operationId: undefined, sizeGiB: 5, state: 'ready' });
      expect(fake.callsTo('setQuota')).toEqual([[CLUSTER, SEEDED, 5 * GIB]]);
      expect((await sut.info(SEEDED)).size).toBe(5);
      expect(fake.quotas.get(`${CLUSTER}/${SEEDED}`)).toBe(5 * GIB);
    });

    it('should keep the volume visible while it grows, and refuse a second change', async () => {
      await setup({ seed: [volumeRecord()] });
      const quota = fake.hold('setQuota');
      const operationId = await sut.expand(SEEDED, { expand_size: 1 });
      await quota.reached;

      expect((await sut.info(SEEDED)).size).toBe(2);
      expect(await sut.list()).toEqual({ volumes: [SEEDED] });
      await expect(sut.expand(SEEDED, { expand_size: 1 })).rejects.toMatchObject({
        message: `Failed to allocate volume expansion: ${BUSY}`,
      });
      await expect(sut.remove(SEEDED)).rejects.toMatchObject({
        code: ErrorCode.Failed,
        message: `Failed to set up volume delete: ${BUSY}`,
      });

      quota.release();
      await outcome(operationId);
    });

    it.each([
      ['set quota', 'setQuota', 0],
      ['verify quota', 'readQuota', 0],
      ['record volume', 'saveVolume', 1],
    ] as const)('should restore the old quota when "%s" fails', async (step, method, skip) => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce(method, errnoError('EIO'), skip);

      const operationId = await sut.expand(SEEDED, { expand_size: 3 });

      expect(await outcome(operationId)).toEqual({ message: `Failed to expand volume: ${step}: EIO`, state: 'failed' });
      expect(fake.callsTo('setQuota').at(-1)).toEqual([CLUSTER, SEEDED, 2 * GIB]);
      expect(fake.quotas.get(`${CLUSTER}/${SEEDED}`)).toBe(2 * GIB);
      expect(fake.volumes.get(`${CLUSTER}/${SEEDED}`)).toMatchObject({ operationId: undefined, sizeGiB: 2 });
      expect((await sut.info(SEEDED)).size).toBe(2);
      expect(await outcome(await sut.expand(SEEDED, { expand_size: 1 }))).toMatchObject({ state: 'done' });
      expect((await sut.info(SEEDED)).size).toBe(3);
    });

    it('should restore the old quota when it keeps reading back wrong', async () => {
      await setup({ seed: [volumeRecord()] });
      vi.useFakeTimers({ toFake: ['setTimeout'] });
      fake.answerEvery('readQuota', async () => 4 * GIB);

      const operationId = await sut.expand(SEEDED, { expand_size: 3 });

      expect(await outcome(operationId)).toEqual({
        message: `Failed to expand volume: verify quota: the quota reads back as ${4 * GIB} instead of ${5 * GIB} bytes`,
        state: 'failed',
      });
      expect(fake.quotas.get(`${CLUSTER}/${SEEDED}`)).toBe(2 * GIB);
    });

    it('should answer No space when the delta does not fit', async () => {
      await setup({ clusters: [fakeCluster({ capacityGiB: 10 })], seed: [volumeRecord({ sizeGiB: 8 })] });

      await expect(sut.expand(SEEDED, { expand_size: 3 })).rejects.toMatchObject({
        code: ErrorCode.Failed,
        message: 'Failed to allocate volume expansion: No space',
      });
      expect(fake.changes()).toEqual([]);
      expect(await outcome(await sut.expand(SEEDED, { expand_size: 2 }))).toMatchObject({ state: 'done' });
    });

    it('should answer Id not found for an unknown volume, after checking the request', async () => {
      await setup();

      await expect(sut.expand(UNKNOWN, { expand_size: 1 })).rejects.toMatchObject({
        code: ErrorCode.NotFound,
        message: 'Id not found',
      });
      await expect(sut.expand(UNKNOWN, { expand_size: 0 })).rejects.toMatchObject({
        message: 'validation failed: expand_size: cannot be blank.',
      });
    });

    it('should leave the volume usable when the operation cannot be started', async () => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce('saveOperation', errnoError('EROFS'));

      await expect(sut.expand(SEEDED, { expand_size: 1 })).rejects.toMatchObject({ code: 'EROFS' });

      expect(await outcome(await sut.expand(SEEDED, { expand_size: 1 }))).toMatchObject({ state: 'done' });
      expect((await sut.info(SEEDED)).size).toBe(3);
    });
  });

  describe('remove', () => {
    it('should trash the directory with its quota, release the name, answer done without a location, then purge both', async () => {
      await setup({ seed: [volumeRecord()] });
      const purge = fake.hold('trashEntries');

      const operationId = await sut.remove(SEEDED);

      expect(await outcome(operationId)).toEqual({ location: undefined, state: 'done' });
      expect(fake.changes()).toEqual([
        'saveOperation',
        'lockVolume',
        'saveVolume',
        'trashVolumeDirectory',
        'releaseName',
        'removeVolume',
        'unlockVolume',
        'saveOperation',
        'removeOperation',
      ]);
      expect(fake.callsTo('lockVolume')).toEqual([[CLUSTER, SEEDED, operationId]]);
      expect(fake.locks.size).toBe(0);
      expect(fake.callsTo('removeVolume')).toEqual([[CLUSTER, SEEDED]]);
      expect(fake.callsTo('saveVolume')).toEqual([[expect.objectContaining({ operationId, state: 'deleting' })]]);
      expect(fake.callsTo('releaseName')).toEqual([[CLUSTER, 'seeded', SEEDED]]);
      expectGone(SEEDED, 'seeded');
      await expect(sut.info(SEEDED)).rejects.toMatchObject({ message: 'Id not found' });
      expect(await sut.list()).toEqual({ volumes: [] });
      await purge.reached;
      expect(fake.trashedQuotas.get(`${CLUSTER}/${SEEDED}`)).toBe(2 * GIB);
      purge.release();
      await flush();
      expect(fake.callsTo('trashEntries')).toEqual([[CLUSTER]]);
      expect(fake.trash.size).toBe(0);
      expect(fake.trashedQuotas.size).toBe(0);
    });

    it('should hide the volume while it is deleted, and refuse a second delete', async () => {
      await setup({ seed: [volumeRecord()] });
      const trash = fake.hold('trashVolumeDirectory');
      const operationId = await sut.remove(SEEDED);
      await trash.reached;

      await expect(sut.info(SEEDED)).rejects.toMatchObject({ message: 'Id not found' });
      expect(await sut.list()).toEqual({ volumes: [] });
      const error = await rejection(sut.remove(SEEDED));
      expect({ code: error.code, message: error.message }).toEqual({
        code: ErrorCode.Failed,
        message: `Failed to set up volume delete: ${BUSY}`,
      });
      await expect(sut.expand(SEEDED, { expand_size: 1 })).rejects.toMatchObject({ message: 'Id not found' });

      trash.release();

      expect(await outcome(operationId)).toEqual({ location: undefined, state: 'done' });
    });

    it('should keep the volume visible and ready when its directory cannot be moved into the trash', async () => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce('trashVolumeDirectory', errnoError('EBUSY', '/srv/gluster/gv0/5eed'));

      const operationId = await sut.remove(SEEDED);

      expect(await outcome(operationId)).toEqual({
        message: 'Failed to delete volume: remove directory: EBUSY',
        state: 'failed',
      });
      expect(fake.changes()).not.toContain('releaseName');
      expect(fake.directories.has(`${CLUSTER}/${SEEDED}`)).toBe(true);
      expect(fake.volumes.get(`${CLUSTER}/${SEEDED}`)).toMatchObject({ operationId: undefined, state: 'ready' });
      expect(fake.quotas.get(`${CLUSTER}/${SEEDED}`)).toBe(2 * GIB);
      expect(fake.names.get(`${CLUSTER}/seeded`)).toBe(SEEDED);
      expect((await sut.info(SEEDED)).id).toBe(SEEDED);
      expect(await sut.list()).toEqual({ volumes: [SEEDED] });
      expect(await outcome(await sut.remove(SEEDED))).toEqual({ location: undefined, state: 'done' });
    });

    it('should report a failure after the directory is gone without the path, and hide the volume', async () => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce('removeVolume', errnoError('EIO', '/srv/gluster/gv0/.piragua/volumes/5eed.json'));

      const operationId = await sut.remove(SEEDED);

      expect(await outcome(operationId)).toEqual({
        message: 'Failed to delete volume: remove record: EIO',
        state: 'failed',
      });
      await expect(sut.info(SEEDED)).rejects.toMatchObject({ message: 'Id not found' });
    });

    it('should answer Id not found for an unknown volume', async () => {
      await setup();

      await expect(sut.remove(UNKNOWN)).rejects.toMatchObject({ code: ErrorCode.NotFound, message: 'Id not found' });
      expect(fake.changes()).toEqual([]);
    });

    it('should refuse to delete heketidbstorage with 409', async () => {
      await setup({ seed: [volumeRecord({ name: 'heketidbstorage' })] });

      const error = await rejection(sut.remove(SEEDED));

      expect({ code: error.code, message: error.message }).toEqual({
        code: ErrorCode.Conflict,
        message: 'Cannot delete volume containing the Heketi database',
      });
      expect(fake.changes()).toEqual([]);
    });

    it('should refuse to delete a volume that is still being created', async () => {
      await setup();
      const quota = fake.hold('setQuota');
      const { operationId, volumeId } = await startCreate({ size: 1 });
      await quota.reached;

      await expect(sut.remove(volumeId)).rejects.toMatchObject({ message: `Failed to set up volume delete: ${BUSY}` });

      quota.release();
      await outcome(operationId);
    });

    it('should leave the volume visible and deletable when the operation cannot be started', async () => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce('saveOperation', errnoError('EROFS'));

      await expect(sut.remove(SEEDED)).rejects.toMatchObject({ code: 'EROFS' });

      expect((await sut.info(SEEDED)).id).toBe(SEEDED);
      expect(await outcome(await sut.remove(SEEDED))).toEqual({ location: undefined, state: 'done' });
    });
  });

  describe('volume lock', () => {
    /** What another instance's expand or delete in progress looks like from here: the lock is taken, nothing else yet. */
    async function lockedByAnotherInstance(): Promise<void> {
      expect(await fake.lockVolume(CLUSTER, SEEDED, OTHER_OPERATION)).toBe(true);
      fake.resetCalls();
    }

    function expectUntouched(): void {
      expect(fake.volumes.get(`${CLUSTER}/${SEEDED}`)).toEqual(volumeRecord());
      expect(fake.quotas.get(`${CLUSTER}/${SEEDED}`)).toBe(2 * GIB);
      expect(fake.directories.has(`${CLUSTER}/${SEEDED}`)).toBe(true);
      expect(fake.names.get(`${CLUSTER}/seeded`)).toBe(SEEDED);
      expect(fake.locks.get(`${CLUSTER}/${SEEDED}`)).toBe(OTHER_OPERATION);
      expect(fake.operations.size).toBe(0);
      expect(operations.inFlight).toBe(0);
    }

    it('should refuse an expand with 500 while another operation holds the lock, and change nothing', async () => {
      await setup({ seed: [volumeRecord()] });
      await lockedByAnotherInstance();

      const error = await rejection(sut.expand(SEEDED, { expand_size: 1 }));

      expect({ code: error.code, message: error.message }).toEqual({
        code: ErrorCode.Failed,
        message: `Failed to allocate volume expansion: ${BUSY}`,
      });
      expect(fake.changes()).toEqual(['saveOperation', 'lockVolume', 'removeOperation']);
      expectUntouched();
      expect((await sut.info(SEEDED)).size).toBe(2);
    });

    it('should refuse a delete with 500 while another operation holds the lock, and change nothing', async () => {
      await setup({ seed: [volumeRecord()] });
      await lockedByAnotherInstance();

      const error = await rejection(sut.remove(SEEDED));

      expect({ code: error.code, message: error.message }).toEqual({
        code: ErrorCode.Failed,
        message: `Failed to set up volume delete: ${BUSY}`,
      });
      expect(fake.changes()).toEqual(['saveOperation', 'lockVolume', 'removeOperation']);
      expectUntouched();
      expect(await sut.list()).toEqual({ volumes: [SEEDED] });
    });

    it('should change the volume once the other operation has released the lock', async () => {
      await setup({ seed: [volumeRecord()] });
      await lockedByAnotherInstance();
      await expect(sut.expand(SEEDED, { expand_size: 1 })).rejects.toMatchObject({ code: ErrorCode.Failed });

      await fake.unlockVolume(CLUSTER, SEEDED, OTHER_OPERATION);

      expect(await outcome(await sut.expand(SEEDED, { expand_size: 1 }))).toMatchObject({ state: 'done' });
      expect((await sut.info(SEEDED)).size).toBe(3);
    });

    it('should hold the lock while an expand runs, so no other instance can take it', async () => {
      await setup({ seed: [volumeRecord()] });
      const quota = fake.hold('setQuota');
      const operationId = await sut.expand(SEEDED, { expand_size: 1 });
      await quota.reached;

      expect(fake.locks.get(`${CLUSTER}/${SEEDED}`)).toBe(operationId);
      expect(await fake.lockVolume(CLUSTER, SEEDED, OTHER_OPERATION)).toBe(false);

      quota.release();
      await outcome(operationId);
      expect(fake.locks.size).toBe(0);
    });

    it('should refuse a change when the backend shows the volume marked by another instance, before starting anything', async () => {
      await setup({ seed: [volumeRecord()] });
      fake.volumes.set(`${CLUSTER}/${SEEDED}`, volumeRecord({ operationId: OTHER_OPERATION }));

      await expect(sut.expand(SEEDED, { expand_size: 1 })).rejects.toMatchObject({
        message: `Failed to allocate volume expansion: ${BUSY}`,
      });
      await expect(sut.remove(SEEDED)).rejects.toMatchObject({ message: `Failed to set up volume delete: ${BUSY}` });

      expect(fake.changes()).toEqual([]);
    });

    it.each([
      ['set quota', 'setQuota', 0],
      ['record volume', 'saveVolume', 1],
    ] as const)('should release the lock after an expand whose "%s" failed', async (_step, method, skip) => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce(method, errnoError('EIO'), skip);

      const operationId = await sut.expand(SEEDED, { expand_size: 1 });

      expect(await outcome(operationId)).toMatchObject({ state: 'failed' });
      expect(fake.callsTo('unlockVolume')).toEqual([[CLUSTER, SEEDED, operationId]]);
      expect(fake.locks.size).toBe(0);
    });

    it.each([
      ['remove directory', 'trashVolumeDirectory'],
      ['remove record', 'removeVolume'],
    ] as const)('should release the lock after a delete whose "%s" failed', async (step, method) => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce(method, errnoError('EIO'));

      const operationId = await sut.remove(SEEDED);

      expect(await outcome(operationId)).toEqual({ message: `Failed to delete volume: ${step}: EIO`, state: 'failed' });
      expect(fake.callsTo('unlockVolume')).toEqual([[CLUSTER, SEEDED, operationId]]);
      expect(fake.locks.size).toBe(0);
    });

    it('should still finish the operation when its lock cannot be released, leaving the lock for the reconciler', async () => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce('unlockVolume', errnoError('EIO'));

      const operationId = await sut.expand(SEEDED, { expand_size: 1 });

      expect(await outcome(operationId)).toEqual({ location: `/volumes/${SEEDED}`, state: 'done' });
      expect(fake.locks.get(`${CLUSTER}/${SEEDED}`)).toBe(operationId);
    });

    it.each([
      ['expand', () => sut.expand(SEEDED, { expand_size: 1 })],
      ['delete', () => sut.remove(SEEDED)],
    ])('should release the lock and forget the operation when the %s cannot mark the volume', async (_kind, change) => {
      await setup({ seed: [volumeRecord()] });
      fake.failOnce('saveVolume', errnoError('EIO'));

      await expect(change()).rejects.toMatchObject({ code: 'EIO' });

      expect(fake.changes()).toEqual(['saveOperation', 'lockVolume', 'saveVolume', 'unlockVolume', 'removeOperation']);
      expect(fake.locks.size).toBe(0);
      expect(fake.operations.size).toBe(0);
      expect(fake.volumes.get(`${CLUSTER}/${SEEDED}`)).toEqual(volumeRecord());
      expect((await sut.info(SEEDED)).size).toBe(2);
      expect(await outcome(await sut.expand(SEEDED, { expand_size: 1 }))).toMatchObject({ state: 'done' });
    });
  });

  describe('changes made by another instance', () => {
    it('should expand from the backend size when the index still holds an older one', async () => {
      await setup({ seed: [volumeRecord({ sizeGiB: 2 })] });
      // Another instance expanded the volume from 2 to 4 GiB after this one indexed it.
      fake.volumes.set(`${CLUSTER}/${SEEDED}`, volumeRecord({ sizeGiB: 4 }));
      fake.quotas.set(`${CLUSTER}/${SEEDED}`, 4 * GIB);

      const operationId = await sut.expand(SEEDED, { expand_size: 3 });

      expect(await outcome(operationId)).toMatchObject({ state: 'done' });
      expect(fake.callsTo('setQuota')).toEqual([[CLUSTER, SEEDED, 7 * GIB]]);
      expect(fake.volumes.get(`${CLUSTER}/${SEEDED}`)).toMatchObject({ operationId: undefined, sizeGiB: 7 });
      expect((await sut.info(SEEDED)).size).toBe(7);
    });

    it('should restore the backend size, not the indexed one, when that expand fails', async () => {
      await setup({ seed: [volumeRecord({ sizeGiB: 2 })] });
      fake.volumes.set(`${CLUSTER}/${SEEDED}`, volumeRecord({ sizeGiB: 4 }));
      fake.quotas.set(`${CLUSTER}/${SEEDED}`, 4 * GIB);
      fake.failOnce('saveVolume', errnoError('EIO'), 1);

      expect(await outcome(await sut.expand(SEEDED, { expand_size: 3 }))).toMatchObject({ state: 'failed' });

      expect(fake.quotas.get(`${CLUSTER}/${SEEDED}`)).toBe(4 * GIB);
      expect(fake.volumes.get(`${CLUSTER}/${SEEDED}`)).toMatchObject({ operationId: undefined, sizeGiB: 4 });
    });

    it('should answer Id not found for a change to a volume another instance deleted', async () => {
      await setup({ seed: [volumeRecord()] });
      fake.volumes.delete(`${CLUSTER}/${SEEDED}`);

      await expect(sut.expand(SEEDED, { expand_size: 1 })).rejects.toMatchObject({
        code: ErrorCode.NotFound,
        message: 'Id not found',
      });
      await expect(sut.remove(SEEDED)).rejects.toMatchObject({ code: ErrorCode.NotFound, message: 'Id not found' });
      expect(fake.changes()).toEqual([]);
      expect(await sut.list()).toEqual({ volumes: [] });
    });

    it('should read the backend for info when asked for a fresh answer', async () => {
      await setup({ seed: [volumeRecord({ sizeGiB: 2 })] });
      fake.volumes.set(`${CLUSTER}/${SEEDED}`, volumeRecord({ sizeGiB: 4 }));

      expect((await sut.info(SEEDED, true)).size).toBe(4);
      expect(fake.callsTo('loadVolume')).toEqual([[CLUSTER, SEEDED]]);
    });
  });

  describe('reads', () => {
    it('should list the ready volumes found at start-up, sorted, without unfinished ones', async () => {
      const ids = ['c'.repeat(32), 'a'.repeat(32), 'b'.repeat(32), 'd'.repeat(32)];
      await setup({
        seed: [
          volumeRecord({ id: ids[0], name: 'c' }),
          volumeRecord({ id: ids[1], name: 'a' }),
          volumeRecord({ id: ids[2], name: 'b', operationId: UNKNOWN, state: 'creating' }),
          volumeRecord({ id: ids[3], name: 'd', operationId: UNKNOWN, state: 'deleting' }),
        ],
      });

      expect(await sut.list()).toEqual({ volumes: ['a'.repeat(32), 'c'.repeat(32)] });
      await expect(sut.info('b'.repeat(32))).rejects.toMatchObject({ message: 'Id not found' });
    });

    it('should compute the mount from the nodes of the volume cluster', async () => {
      const cluster = fakeCluster();
      cluster.nodes = [
        { ...cluster.nodes[0], id: 'n1'.padEnd(32, '0'), storageAddress: '10.0.0.1' },
        { ...cluster.nodes[0], id: 'n2'.padEnd(32, '0'), storageAddress: '10.0.0.2' },
        { ...cluster.nodes[0], id: 'n3'.padEnd(32, '0'), storageAddress: '10.0.0.3' },
      ];
      await setup({ clusters: [cluster], seed: [volumeRecord()] });

      expect((await sut.info(SEEDED)).mount).toEqual({
        glusterfs: {
          device: `10.0.0.1:gv0/${SEEDED}/seeded`,
          hosts: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
          options: { 'backup-volfile-servers': '10.0.0.2,10.0.0.3' },
        },
      });
    });

    it('should read through to the backend for a volume another instance made', async () => {
      await setup();
      fake.directories.set(`${CLUSTER}/${SEEDED}`, { name: 'seeded' });
      fake.volumes.set(`${CLUSTER}/${SEEDED}`, volumeRecord());

      expect((await sut.info(SEEDED)).id).toBe(SEEDED);
      expect(fake.callsTo('loadVolume')).toEqual([[CLUSTER, SEEDED]]);
    });

    it('should answer Id not found for an unknown id', async () => {
      await setup();

      await expect(sut.info(UNKNOWN)).rejects.toMatchObject({ code: ErrorCode.NotFound, message: 'Id not found' });
    });
  });
});
