import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { operationRecord } from '../../test/factories/records.factory.js';
import { FakeStorage, fakeCluster } from '../../test/fakes/fake-storage.js';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import type { OperationEnded, OperationsService } from './operations.service.js';
import type { VolumesService } from './volumes.service.js';
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
  let ended: Subject<OperationEnded>;
  let purges: string[];

  function start(env: Record<string, string>): WarmPoolService {
    fake = new FakeStorage();
    ended = new Subject();
    purges = [];
    sut = new WarmPoolService(
      appConfig({ ...GLUSTER, ...env }),
      fake,
      { ended } as unknown as OperationsService,
      { schedulePurge: (clusterId: string) => purges.push(clusterId) } as unknown as VolumesService,
    );
    return sut;
  }

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
    expect(fake.callsTo('addPooledDirectory')).toEqual([
      [CLUSTER, 1, 'node-1'],
      [CLUSTER, 1, 'node-1'],
      [CLUSTER, 10, 'node-1'],
    ]);
    expect(pool.readyCounts.get(CLUSTER)).toEqual(
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

    ended.next({ durationMs: 1, record: operationRecord({ kind: 'delete', state: 'succeeded' }) });
    await flush();
    expect(fake.callsTo('addPooledDirectory')).toEqual([]);

    ended.next({ durationMs: 1, record: operationRecord({ kind: 'create', state: 'succeeded' }) });
    await flush();
    expect(fake.callsTo('addPooledDirectory')).toHaveLength(2);
    expect(fake.pool.get(`${CLUSTER}/1`)).toBe(2);
  });

  it('should run one refill at a time, and once more when asked meanwhile', async () => {
    const pool = start({ PIRAGUA_WARM_POOL: '1:1' });
    const adding = fake.hold('addPooledDirectory');
    const first = pool.refill();
    await adding.reached;
    const second = pool.refill();
    expect(fake.callsTo('pooledDirectoryCounts')).toHaveLength(1);

    adding.release();
    await Promise.all([first, second]);

    // A second round after the first, which found the pool full.
    expect(fake.callsTo('pooledDirectoryCounts')).toHaveLength(2);
    expect(fake.callsTo('addPooledDirectory')).toHaveLength(1);
  });

  it('should stop filling a cluster that cannot take new volumes, and purge what a failed add left', async () => {
    const pool = start({ PIRAGUA_WARM_POOL: '1:2' });
    fake.failOnce('addPooledDirectory', new PiraguaError(ErrorCode.Failed, 'quota is not enabled'));

    await pool.refill();

    expect(fake.callsTo('addPooledDirectory')).toHaveLength(1);
    expect(purges).toEqual([CLUSTER]);
    await pool.refill();
    expect(fake.pool.get(`${CLUSTER}/1`)).toBe(2);
  });
});
