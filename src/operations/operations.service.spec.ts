import { EventEmitter2 } from '@nestjs/event-emitter';
import { INestApplicationContext } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { createTestingContext } from '../../test/factories/nest-app.factory.js';
import { errnoError, FakeStorage, fakeCluster, storageProviders } from '../../test/fakes/fake-storage.js';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import { AppConfig } from '../config/app-config.js';
import { OperationsService, QueueStatus } from './operations.service.js';

const CLUSTER = fakeCluster().id;
const VOLUME = '5f0e5f0e5f0e5f0e5f0e5f0e5f0e5f0e';
const UNKNOWN = '0123456789abcdef0123456789abcdef';

interface Deferred {
  promise: Promise<void>;
  reject: (error: unknown) => void;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, reject, resolve };
}

/** Polls like a client until the operation is no longer pending. */
async function outcome(operations: OperationsService, id: string): Promise<QueueStatus> {
  for (let poll = 0; poll < 1000; poll++) {
    const status = await operations.status(id);
    if (status.state !== 'pending') {
      return status;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`operation ${id} is still pending`);
}

/** Lets background work that is not waiting on anything run to its end. */
async function flush(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** What most operations here are about; each names its kind and work. */
const A_VOLUME = { clusterId: CLUSTER, prepare: async () => undefined, volumeId: VOLUME };

describe(OperationsService.name, () => {
  let context: INestApplicationContext;
  let fake: FakeStorage;
  let config: AppConfig;
  let sut: OperationsService;

  beforeEach(async () => {
    fake = new FakeStorage().forbid(
      'claimName',
      'createVolumeDirectory',
      'saveVolume',
      'setQuota',
      'removeQuota',
      'trashVolumeDirectory',
    );
    config = appConfig({ HEKETI_MAX_INFLIGHT_OPERATIONS: '2', PIRAGUA_INSTANCE_ID: 'spec-1' });
    context = await createTestingContext({
      providers: [{ provide: AppConfig, useValue: config }, ...storageProviders(fake), OperationsService],
    });
    sut = context.get(OperationsService);
  });

  afterEach(async () => {
    await context.close();
    expect(fake.violations).toEqual([]);
  });

  describe('start', () => {
    it('should record a pending operation owned by this instance before the work runs', async () => {
      const work = deferred();
      let ran = false;

      const id = await sut.start({
        ...A_VOLUME,
        kind: 'create',
        work: () => {
          ran = true;
          return work.promise;
        },
      });

      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(fake.callsTo('saveOperation')).toEqual([
        [
          {
            clusterId: CLUSTER,
            id,
            incarnation: config.incarnation,
            kind: 'create',
            owner: 'spec-1',
            startedAt: expect.any(String),
            state: 'pending',
            volumeId: VOLUME,
          },
        ],
      ]);
      expect(ran).toBe(true);
      expect(sut.inFlight).toBe(1);
      expect(sut.isRunningHere(id)).toBe(true);
      work.resolve();
    });

    it('should use the operation id it is given', async () => {
      expect(
        await sut.start({
          ...A_VOLUME,
          kind: 'expand',
          operationId: UNKNOWN,
          work: async () => undefined,
        }),
      ).toBe(UNKNOWN);
    });

    it('should not run the work when the operation cannot be recorded', async () => {
      fake.failOnce('saveOperation', errnoError('EROFS'));
      let ran = false;

      await expect(
        sut.start({
          ...A_VOLUME,
          kind: 'create',
          work: async () => {
            ran = true;
          },
        }),
      ).rejects.toMatchObject({ code: 'EROFS' });
      expect(ran).toBe(false);
      expect(sut.inFlight).toBe(0);
    });

    it('should run prepare after the operation is recorded, and the work after prepare', async () => {
      const order: string[] = [];

      await sut.start({
        clusterId: CLUSTER,
        kind: 'expand',
        operationId: UNKNOWN,
        prepare: async () => {
          order.push(
            `prepare: ${fake.operations.get(`${CLUSTER}/${UNKNOWN}`)?.state} on the backend, running here: ${sut.isRunningHere(UNKNOWN)}`,
          );
        },
        volumeId: VOLUME,
        work: async () => {
          order.push('work');
        },
      });
      await flush();

      expect(order).toEqual(['prepare: pending on the backend, running here: true', 'work']);
    });

    it('should answer with the error of a failed prepare, remove the operation record and run nothing', async () => {
      let ran = false;
      const refusal = new PiraguaError(
        ErrorCode.Failed,
        'Failed to allocate volume expansion: The target exists, contains other items, or is in use.',
      );

      await expect(
        sut.start({
          clusterId: CLUSTER,
          kind: 'expand',
          operationId: UNKNOWN,
          prepare: async () => {
            throw refusal;
          },
          volumeId: VOLUME,
          work: async () => {
            ran = true;
          },
        }),
      ).rejects.toBe(refusal);
      await flush();

      expect(ran).toBe(false);
      expect(fake.changes()).toEqual(['saveOperation', 'removeOperation']);
      expect(fake.callsTo('removeOperation')).toEqual([[CLUSTER, UNKNOWN]]);
      expect(fake.operations.size).toBe(0);
      expect(sut.inFlight).toBe(0);
      expect(sut.isRunningHere(UNKNOWN)).toBe(false);
      await expect(sut.status(UNKNOWN)).rejects.toMatchObject({ message: 'Id not found' });
    });

    it('should still answer with the prepare error when the record cannot be removed', async () => {
      fake.failOnce('removeOperation', errnoError('EIO'));

      await expect(
        sut.start({
          clusterId: CLUSTER,
          kind: 'create',
          operationId: UNKNOWN,
          prepare: async () => {
            throw new PiraguaError(
              ErrorCode.Failed,
              "Failed to allocate new volume: Volume name 'data' already in use",
            );
          },
          volumeId: VOLUME,
          work: async () => undefined,
        }),
      ).rejects.toMatchObject({ message: "Failed to allocate new volume: Volume name 'data' already in use" });

      expect(sut.inFlight).toBe(0);
    });

    it('should not run prepare when the operation cannot be recorded', async () => {
      fake.failOnce('saveOperation', errnoError('EROFS'));
      let prepared = false;

      await expect(
        sut.start({
          clusterId: CLUSTER,
          kind: 'create',
          operationId: UNKNOWN,
          prepare: async () => {
            prepared = true;
          },
          volumeId: VOLUME,
          work: async () => undefined,
        }),
      ).rejects.toMatchObject({ code: 'EROFS' });

      expect(prepared).toBe(false);
      expect(sut.inFlight).toBe(0);
    });

    it('should count an operation against the limit while it prepares', async () => {
      const preparing = deferred();
      const first = sut.start({
        clusterId: CLUSTER,
        kind: 'create',
        operationId: UNKNOWN,
        prepare: () => preparing.promise,
        volumeId: VOLUME,
        work: async () => undefined,
      });
      const works = deferred();
      await sut.start({
        ...A_VOLUME,
        kind: 'create',
        work: () => works.promise,
      });

      expect(() => sut.assertCapacity()).toThrow('Server busy. Retry operation later.');

      preparing.resolve();
      works.resolve();
      await outcome(sut, await first);
    });

    it('should answer 429 once HEKETI_MAX_INFLIGHT_OPERATIONS operations are running', async () => {
      const works = [deferred(), deferred()];
      const ids = [];
      for (const work of works) {
        ids.push(
          await sut.start({
            ...A_VOLUME,
            kind: 'create',
            work: () => work.promise,
          }),
        );
      }
      fake.resetCalls();

      const refused = sut.start({
        ...A_VOLUME,
        kind: 'create',
        work: async () => undefined,
      });

      await expect(refused).rejects.toBeInstanceOf(PiraguaError);
      await expect(refused).rejects.toMatchObject({
        code: ErrorCode.Busy,
        message: 'Server busy. Retry operation later.',
      });
      expect(() => sut.assertCapacity()).toThrow('Server busy. Retry operation later.');
      expect(fake.callsTo('saveOperation')).toEqual([]);

      works[0].resolve();
      await outcome(sut, ids[0]);

      expect(() => sut.assertCapacity()).not.toThrow();
      works[1].resolve();
      await outcome(sut, ids[1]);
      expect(sut.inFlight).toBe(0);
    });
  });

  describe('status', () => {
    it('should answer pending while the work runs, then deliver the result once', async () => {
      const work = deferred();
      const id = await sut.start({
        ...A_VOLUME,
        kind: 'create',
        work: () => work.promise,
      });

      expect(await sut.status(id)).toEqual({ state: 'pending' });
      expect(await sut.status(id)).toEqual({ state: 'pending' });

      work.resolve();

      expect(await outcome(sut, id)).toEqual({ location: `/volumes/${VOLUME}`, state: 'done' });
      await expect(sut.status(id)).rejects.toMatchObject({ code: ErrorCode.NotFound, message: 'Id not found' });
      expect(fake.operations.size).toBe(0);
      expect(sut.isRunningHere(id)).toBe(false);
    });

    it('should record the result on the backend before it is delivered', async () => {
      const id = await sut.start({
        ...A_VOLUME,
        kind: 'expand',
        work: async () => undefined,
      });
      await flush();

      expect(fake.callsTo('saveOperation').map(([record]) => record)).toEqual([
        expect.objectContaining({ id, state: 'pending' }),
        expect.objectContaining({ finishedAt: expect.any(String), id, kind: 'expand', state: 'succeeded' }),
      ]);
      expect(fake.callsTo('removeOperation')).toEqual([]);

      await sut.status(id);

      expect(fake.callsTo('removeOperation')).toEqual([[CLUSTER, id]]);
    });

    it('should deliver a finished delete without a location (204)', async () => {
      const id = await sut.start({
        ...A_VOLUME,
        kind: 'delete',
        work: async () => undefined,
      });

      expect(await outcome(sut, id)).toEqual({ location: undefined, state: 'done' });
    });

    it('should deliver the message of a PiraguaError as the failure', async () => {
      const id = await sut.start({
        ...A_VOLUME,
        kind: 'create',
        work: async () => {
          throw new PiraguaError(ErrorCode.Failed, 'Failed to create volume: set quota: EIO');
        },
      });

      expect(await outcome(sut, id)).toEqual({ message: 'Failed to create volume: set quota: EIO', state: 'failed' });
      await expect(sut.status(id)).rejects.toMatchObject({ message: 'Id not found' });
    });

    it('should hide the text of any other error', async () => {
      const id = await sut.start({
        ...A_VOLUME,
        kind: 'create',
        work: async () => {
          throw errnoError('EACCES', '/srv/gluster/gv0/private');
        },
      });

      const status = await outcome(sut, id);

      expect(status).toEqual({ message: 'Internal error, see the piragua log', state: 'failed' });
    });

    it('should answer Id not found for an operation it never had', async () => {
      await expect(sut.status(UNKNOWN)).rejects.toMatchObject({ code: ErrorCode.NotFound, message: 'Id not found' });
    });

    it('should look for the operation on every cluster', async () => {
      fake.topology = [fakeCluster({ id: 'a'.repeat(32) }), fakeCluster({ id: 'b'.repeat(32) })];
      const id = await sut.start({
        clusterId: 'b'.repeat(32),
        kind: 'delete',
        prepare: async () => undefined,
        volumeId: VOLUME,
        work: async () => undefined,
      });
      await flush();
      const other = new OperationsService(config, new EventEmitter2(), fake, fake);

      expect(await other.status(id)).toEqual({ location: undefined, state: 'done' });
      expect(fake.callsTo('loadOperation')).toEqual([
        ['a'.repeat(32), id],
        ['b'.repeat(32), id],
      ]);
    });

    it('should let another instance answer from the backend, once', async () => {
      const work = deferred();
      const id = await sut.start({
        ...A_VOLUME,
        kind: 'create',
        work: () => work.promise,
      });
      const other = new OperationsService(config, new EventEmitter2(), fake, fake);

      expect(await other.status(id)).toEqual({ state: 'pending' });

      work.resolve();
      await flush();

      expect(await other.status(id)).toEqual({ location: `/volumes/${VOLUME}`, state: 'done' });
      await expect(sut.status(id)).rejects.toMatchObject({ message: 'Id not found' });
      await expect(other.status(id)).rejects.toMatchObject({ message: 'Id not found' });
    });

    it('should keep a result it could not record, and still deliver it', async () => {
      fake.failOnce('saveOperation', errnoError('EIO'), 1);
      const id = await sut.start({
        ...A_VOLUME,
        kind: 'create',
        work: async () => undefined,
      });
      await flush();

      expect(await sut.status(id)).toEqual({ location: `/volumes/${VOLUME}`, state: 'done' });
      await expect(sut.status(id)).rejects.toMatchObject({ message: 'Id not found' });
    });
  });

  describe('settle', () => {
    it('should record how an operation ended for a client still polling it', async () => {
      const record = {
        clusterId: CLUSTER,
        id: UNKNOWN,
        incarnation: config.incarnation,
        kind: 'create' as const,
        owner: 'spec-1',
        startedAt: 'then',
        state: 'pending' as const,
        volumeId: VOLUME,
      };

      await sut.settle(record, 'failed', 'Failed to create volume: piragua restarted');

      expect(await sut.status(UNKNOWN)).toEqual({
        message: 'Failed to create volume: piragua restarted',
        state: 'failed',
      });
    });
  });
});
