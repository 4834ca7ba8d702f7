import { EventEmitter2 } from '@nestjs/event-emitter';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { operationRecord } from '../../test/factories/records.factory.js';
import { FakeStorage, fakeCluster } from '../../test/fakes/fake-storage.js';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import { GIB } from '../backends/backend.types.js';
import { TRASH_FILLED, type TrashFilled } from '../backends/state/volume-state.events.js';
import { OperationEnded } from '../operations/operation.events.js';
import { WARM_POOL_COUNTED, type WarmPoolCounted } from './warm-pool.events.js';
import { WarmPoolService } from './warm-pool.service.js';

const CLUSTER = fakeCluster().id;
const GLUSTER = { PIRAGUA_BACKEND: 'gluster', PIRAGUA_GLUSTER_VOLUMES: 'gv0', PIRAGUA_INSTANCE_ID: 'node-1' };

/** Lets background work that is not waiting on anything run to its end. */
async function flush(): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe(WarmPoolService.name, () => {
  let sut: WarmPoolService | undefined;
  let fake: FakeStorage;
  let purges: string[];
  let counted: Map<string, ReadonlyMap<number, number>>;

  function start(env: Record<string, string>): WarmPoolService {
    fake = new FakeStorage();
    purges = [];
    counted = new Map();
    const events = new EventEmitter2();
    events.on(TRASH_FILLED, (event: TrashFilled) => purges.push(event.clusterId));
    events.on(WARM_POOL_COUNTED, (event: WarmPoolCounted) => counted.set(event.clusterId, new Map(event.ready)));
    sut = new WarmPoolService(appConfig({ ...GLUSTER, ...env }), events, fake, fake, fake);
    return sut;
  }

  /** The sizes of the directories put into the pool, in order. */
  const finishedSizes = () => fake.callsTo('finishPooledDirectory').map(([, , sizeGiB]) => sizeGiB);

  afterEach(() => {
    sut?.onModuleDestroy();
    sut = undefined;
  });

  it('should do nothing at all without PIRAGUA_WARM_POOL', async () => {
    start({}).onApplicationBootstrap();
    await flush();

    expect(fake.changes()).toEqual([]);
    expect(fake.callsTo('pooledDirectoryCounts')).toEqual([]);
  });

  it('should clear what this instance left unfinished, then fill every size up to its count', async () => {
    const pool = start({ PIRAGUA_WARM_POOL: '1:3,10:1' });
    fake.unfinishedPool.set(`${CLUSTER}/node-1`, 2);
    fake.unfinishedPool.set(`${CLUSTER}/node-2`, 1);
    fake.pool.set(`${CLUSTER}/1`, 1);

    pool.onApplicationBootstrap();
    await flush();

    expect(fake.callsTo('discardUnfinishedPooledDirectories')).toEqual([[CLUSTER, 'node-1']]);
    // Another instance's unfinished work is its own to clear.
    expect(fake.unfinishedPool.get(`${CLUSTER}/node-2`)).toBe(1);
    expect(purges).toContain(CLUSTER);
    expect(fake.callsTo('beginPooledDirectory')).toEqual([
      [CLUSTER, 'node-1'],
      [CLUSTER, 'node-1'],
      [CLUSTER, 'node-1'],
    ]);
    expect(finishedSizes()).toEqual([1, 1, 10]);
    expect(counted.get(CLUSTER)).toEqual(
      new Map([
        [1, 3],
        [10, 1],
      ]),
    );
  });

  it('should refill after a create ends, and not for other operations', async () => {
    const pool = start({ PIRAGUA_WARM_POOL: '1:2' });
    pool.onApplicationBootstrap();
    await flush();
    fake.pool.set(`${CLUSTER}/1`, 0);
    fake.resetCalls();

    pool.onOperationEnded(new OperationEnded(operationRecord({ kind: 'delete', state: 'succeeded' }), 1));
    await flush();
    expect(finishedSizes()).toEqual([]);

    pool.onOperationEnded(new OperationEnded(operationRecord({ kind: 'create', state: 'succeeded' }), 1));
    await flush();
    expect(finishedSizes()).toEqual([1, 1]);
    expect(fake.pool.get(`${CLUSTER}/1`)).toBe(2);
  });

  it('should run one refill at a time, and once more when asked meanwhile', async () => {
    const pool = start({ PIRAGUA_WARM_POOL: '1:1' });
    const adding = fake.hold('beginPooledDirectory');
    const first = pool.refill();
    await adding.reached;
    const second = pool.refill();
    expect(fake.callsTo('pooledDirectoryCounts')).toHaveLength(1);

    adding.release();
    await Promise.all([first, second]);

    // A second round after the first, which found the pool full.
    expect(fake.callsTo('pooledDirectoryCounts')).toHaveLength(2);
    expect(finishedSizes()).toEqual([1]);
  });

  it('should set and read back the quota of each directory before it joins the pool', async () => {
    await start({ PIRAGUA_WARM_POOL: '3:1' }).refill();

    const [[, path]] = fake.callsTo('finishPooledDirectory');
    expect(fake.changes()).toEqual(['beginPooledDirectory', 'setQuota', 'readQuota', 'finishPooledDirectory']);
    expect(fake.callsTo('setQuota')).toEqual([[CLUSTER, path, 3 * GIB]]);
    expect(fake.callsTo('readQuota')).toEqual([[CLUSTER, path]]);
  });

  it('should stop filling a cluster that cannot take new volumes, and purge what a failed add left', async () => {
    const pool = start({ PIRAGUA_WARM_POOL: '1:2' });
    fake.failOnce('setQuota', new PiraguaError(ErrorCode.Failed, 'quota is not enabled'));

    await pool.refill();

    expect(fake.changes()).toEqual(['beginPooledDirectory', 'setQuota', 'discardPooledDirectory']);
    expect(fake.trash.get(CLUSTER)).toHaveLength(1);
    expect(purges).toEqual([CLUSTER]);
    await pool.refill();
    expect(fake.pool.get(`${CLUSTER}/1`)).toBe(2);
  });

  it('should discard a directory whose quota does not read back as set, with the quota it got', async () => {
    const pool = start({ PIRAGUA_WARM_POOL: '1:1' });
    fake.answerOnce('readQuota', async () => 512);

    await pool.refill();

    expect(fake.changes()).toEqual(['beginPooledDirectory', 'setQuota', 'readQuota', 'discardPooledDirectory']);
    expect([...fake.trashedQuotas.values()]).toEqual([GIB]);
    expect(fake.pool.get(`${CLUSTER}/1`)).toBeUndefined();
  });
});
