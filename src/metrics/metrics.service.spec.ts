import { INestApplicationContext } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { createTestingContext } from '../../test/factories/nest-app.factory.js';
import { volumeRecord } from '../../test/factories/records.factory.js';
import { FakeStorage, fakeCluster, storageProviders } from '../../test/fakes/fake-storage.js';
import { exposedNames, parsePrometheusText, ParsedMetrics, samplesOf, valueOf } from '../../test/prometheus-text.js';
import { RequestScope } from '../common/request-scope.js';
import { AppConfig } from '../config/app-config.js';
import { GLUSTER_COMMAND_RAN, GlusterCommandRan } from '../gluster/gluster-cli.events.js';
import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { countedCalls } from '../backends/backend-calls.js';
import { GIB, OperationRecord, QuotaUsage, VolumeRecord } from '../backends/backend.types.js';
import { TOPOLOGY_STORAGE_METHODS } from '../backends/topology/topology.port.js';
import { OPERATION_ENDED, OperationEnded } from '../operations/operation.events.js';
import { OperationsService } from '../operations/operations.service.js';
import { RECONCILER_PASSED, ReconcilerPassed } from '../reconciler/reconciler.events.js';
import { QuotaUsageService } from '../volumes/quota-usage.service.js';
import { VolumeIndexService } from '../volumes/volume-index.service.js';
import { WARM_POOL_COUNTED, WarmPoolCounted } from '../warm-pool/warm-pool.events.js';
import { GlusterCommandsListener } from './gluster-commands.listener.js';
import { METRICS_CONTENT_TYPE, MetricsService } from './metrics.service.js';

const GV0 = fakeCluster({ capacityGiB: 10 });
const GV1 = fakeCluster({
  capacityGiB: 3,
  id: 'beef0000beef0000beef0000beef0000',
  nodes: [
    {
      devices: [
        {
          freeKiB: 300,
          id: 'd1000000d1000000d1000000d1000000',
          name: '/bricks/gv1a',
          state: 'online',
          totalKiB: 1000,
          usedKiB: 700,
        },
        {
          freeKiB: 5,
          id: 'd2000000d2000000d2000000d2000000',
          name: '/bricks/gv1b',
          state: 'offline',
          totalKiB: 10,
          usedKiB: 5,
        },
      ],
      id: 'b0000000b0000000b0000000b0000000',
      manageHostname: 'gluster-2',
      state: 'online',
      storageAddress: '10.0.0.2',
    },
    {
      devices: [],
      id: 'b1000000b1000000b1000000b1000000',
      manageHostname: 'gluster-3',
      state: 'offline',
      storageAddress: '10.0.0.3',
    },
  ],
  volumeName: 'gv1',
});
const ALPHA = volumeRecord({ id: 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', name: 'alpha', sizeGiB: 2 });
const BETA = volumeRecord({ id: 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2', name: 'beta', sizeGiB: 1 });
const GAMMA = volumeRecord({ clusterId: GV1.id, id: 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3', name: 'gamma', sizeGiB: 1 });

/** The index as the metrics read it: ready volumes by cluster, GiB promised per cluster, records from memory. */
class FakeIndex {
  records: VolumeRecord[] = [];
  /** GiB promised per cluster beyond the ready volumes (ones being created or deleted). */
  pendingGiB = new Map<string, number>();
  failure?: Error;

  async idsByCluster(): Promise<Map<string, string[]>> {
    if (this.failure) {
      throw this.failure;
    }
    const byCluster = new Map<string, string[]>();
    for (const record of this.records) {
      byCluster.set(record.clusterId, [...(byCluster.get(record.clusterId) ?? []), record.id]);
    }
    return byCluster;
  }

  async reservedGiB(clusterId: string): Promise<number> {
    const ready = this.records
      .filter((record) => record.clusterId === clusterId)
      .reduce((sum, record) => sum + record.sizeGiB, 0);
    return ready + (this.pendingGiB.get(clusterId) ?? 0);
  }

  async visible(volumeId: string): Promise<VolumeRecord | undefined> {
    return this.records.find((record) => record.id === volumeId);
  }
}

function ended(kind: OperationRecord['kind'], state: 'succeeded' | 'failed', durationMs: number): OperationEnded {
  return new OperationEnded(
    {
      clusterId: GV0.id,
      id: 'op',
      incarnation: 'now',
      kind,
      owner: 'spec-1',
      startedAt: '',
      state,
      volumeId: ALPHA.id,
    },
    durationMs,
  );
}

describe(MetricsService.name, () => {
  let context: INestApplicationContext;
  let fake: FakeStorage;
  let index: FakeIndex;
  let events: EventEmitter2;
  let operations: { inFlight: number };
  let quota: { refreshedAt?: Date; usage: Map<string, QuotaUsage> };
  let sut: MetricsService;

  const scrape = async (): Promise<ParsedMetrics> => parsePrometheusText(await sut.scrape());
  const ran = (...args: ConstructorParameters<typeof GlusterCommandRan>) =>
    events.emit(GLUSTER_COMMAND_RAN, new GlusterCommandRan(...args));

  beforeEach(async () => {
    // Only the cached topology may be read: anything else would be backend work on a scrape.
    fake = new FakeStorage([GV0, GV1]).allowOnly('clusters');
    index = new FakeIndex();
    index.records = [ALPHA, BETA, GAMMA];
    operations = { inFlight: 0 };
    quota = { usage: new Map() };
    context = await createTestingContext({
      providers: [
        { provide: AppConfig, useValue: appConfig({ PIRAGUA_OVERCOMMIT: '1.5' }) },
        ...storageProviders(fake),
        { provide: OperationsService, useValue: operations },
        { provide: QuotaUsageService, useValue: { current: () => quota } },
        { provide: VolumeIndexService, useValue: index },
        GlusterCommandsListener,
        MetricsService,
      ],
    });
    sut = context.get(MetricsService);
    events = context.get(EventEmitter2);
  });

  afterEach(async () => {
    await context.close();
    expect(fake.violations).toEqual([]);
  });

  it('should render in the Prometheus text format it names', async () => {
    expect(METRICS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await sut.scrape()).toMatch(/^# HELP /m);
  });

  it("should expose Heketi's cluster gauges with Heketi's names and labels", async () => {
    const metrics = await scrape();
    expect(valueOf(metrics, 'heketi_up')).toBe(1);
    expect(valueOf(metrics, 'heketi_cluster_count')).toBe(2);
    expect(samplesOf(metrics, 'heketi_volumes_count')).toEqual([
      { labels: { cluster: GV0.id }, name: 'heketi_volumes_count', value: 2 },
      { labels: { cluster: GV1.id }, name: 'heketi_volumes_count', value: 1 },
    ]);
    expect(samplesOf(metrics, 'heketi_block_volumes_count').map((sample) => sample.value)).toEqual([0, 0]);
    expect(valueOf(metrics, 'heketi_nodes_count', { cluster: GV1.id })).toBe(2);
    expect(samplesOf(metrics, 'heketi_device_count', { cluster: GV1.id })).toEqual([
      {
        labels: { cluster: GV1.id, hostname: 'gluster-2', storage_hostname: '10.0.0.2' },
        name: 'heketi_device_count',
        value: 2,
      },
      {
        labels: { cluster: GV1.id, hostname: 'gluster-3', storage_hostname: '10.0.0.3' },
        name: 'heketi_device_count',
        value: 0,
      },
    ]);
    expect(metrics.help.get('heketi_up')).toBe('Is heketi running?');
  });

  it('should expose each device in KiB and in bytes, with no Heketi bricks on it', async () => {
    const metrics = await scrape();
    const labels = {
      cluster: GV1.id,
      device: '/bricks/gv1a',
      hostname: 'gluster-2',
      id: 'd1000000d1000000d1000000d1000000',
      pv_uuid: '',
      storage_hostname: '10.0.0.2',
    };
    expect(samplesOf(metrics, 'heketi_device_size', labels)).toEqual([
      { labels, name: 'heketi_device_size', value: 1000 },
    ]);
    expect(valueOf(metrics, 'heketi_device_free', labels)).toBe(300);
    expect(valueOf(metrics, 'heketi_device_used', labels)).toBe(700);
    expect(valueOf(metrics, 'heketi_device_size_bytes', labels)).toBe(1000 * 1024);
    expect(valueOf(metrics, 'heketi_device_free_bytes', labels)).toBe(300 * 1024);
    expect(valueOf(metrics, 'heketi_device_used_bytes', labels)).toBe(700 * 1024);
    expect(valueOf(metrics, 'heketi_device_brick_count', labels)).toBe(0);
    expect(samplesOf(metrics, 'heketi_device_size')).toHaveLength(3);
  });

  it("should report the operations in flight under Heketi's names and piragua's", async () => {
    operations.inFlight = 3;
    const metrics = await scrape();
    expect(valueOf(metrics, 'heketi_operations_inFlight_count')).toBe(3);
    expect(valueOf(metrics, 'heketi_operations_total_count')).toBe(3);
    expect(valueOf(metrics, 'heketi_operations_new_count')).toBe(3);
    expect(valueOf(metrics, 'heketi_operations_stale_count')).toBe(0);
    expect(valueOf(metrics, 'heketi_operations_failed_count')).toBe(0);
    expect(valueOf(metrics, 'piragua_operations_in_flight')).toBe(3);
  });

  it("should show only heketi_up 0 of Heketi's gauges when the topology cannot be read", async () => {
    index.failure = new Error('index broken');
    const metrics = await scrape();
    expect(valueOf(metrics, 'heketi_up')).toBe(0);
    expect([...metrics.types.keys()].filter((name) => name.startsWith('heketi_'))).toEqual(['heketi_up']);
    expect(samplesOf(metrics, 'piragua_cluster_capacity_bytes')).toEqual([]);
    index.failure = undefined;
    expect(valueOf(await scrape(), 'heketi_cluster_count')).toBe(2);
  });

  it("should expose each visible volume's quota limit, usage and soft-limit flag from the last refresh", async () => {
    quota.usage = new Map([
      [ALPHA.id, { limitBytes: 2 * GIB, softLimitExceeded: true, usedBytes: 1.8 * GIB }],
      [GAMMA.id, { limitBytes: GIB, softLimitExceeded: false, usedBytes: 4096 }],
      // A quota whose volume the index does not list (being created, or an orphan): no series.
      ['d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4', { limitBytes: GIB, softLimitExceeded: false, usedBytes: 0 }],
    ]);
    quota.refreshedAt = new Date('2026-03-01T12:00:00.000Z');
    const metrics = await scrape();
    const alpha = { cluster: GV0.id, id: ALPHA.id, name: 'alpha' };
    expect(samplesOf(metrics, 'piragua_volume_quota_limit_bytes')).toEqual([
      { labels: alpha, name: 'piragua_volume_quota_limit_bytes', value: 2 * GIB },
      {
        labels: { cluster: GV1.id, id: GAMMA.id, name: 'gamma' },
        name: 'piragua_volume_quota_limit_bytes',
        value: GIB,
      },
    ]);
    expect(valueOf(metrics, 'piragua_volume_quota_used_bytes', alpha)).toBe(1.8 * GIB);
    expect(valueOf(metrics, 'piragua_volume_quota_soft_limit_exceeded', alpha)).toBe(1);
    expect(valueOf(metrics, 'piragua_volume_quota_soft_limit_exceeded', { id: GAMMA.id })).toBe(0);
    // BETA has no quota in the refresh yet.
    expect(samplesOf(metrics, 'piragua_volume_quota_limit_bytes', { id: BETA.id })).toEqual([]);
    expect(valueOf(metrics, 'piragua_quota_usage_refreshed_timestamp_seconds')).toBe(
      Date.parse('2026-03-01T12:00:00.000Z') / 1000,
    );
  });

  it('should find the quota of a volume adopted from the Rust piragua under its dashed directory', async () => {
    const adopted = volumeRecord({
      directory: 'e5e5e5e5-e5e5-e5e5-e5e5-e5e5e5e5e5e5',
      id: 'e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5',
      name: 'legacy',
      sizeGiB: 3,
    });
    index.records = [adopted];
    quota.usage = new Map([[adopted.directory!, { limitBytes: 3 * GIB, usedBytes: 7 }]]);
    const metrics = await scrape();
    expect(valueOf(metrics, 'piragua_volume_quota_limit_bytes', { id: adopted.id, name: 'legacy' })).toBe(3 * GIB);
    expect(valueOf(metrics, 'piragua_volume_quota_used_bytes', { id: adopted.id })).toBe(7);
  });

  it('should leave out what the backend does not know, and volumes gone since the last scrape', async () => {
    quota.usage = new Map([
      [ALPHA.id, { limitBytes: 2 * GIB }],
      [BETA.id, { limitBytes: GIB, usedBytes: 10 }],
    ]);
    let metrics = await scrape();
    expect(samplesOf(metrics, 'piragua_volume_quota_used_bytes').map((sample) => sample.labels.id)).toEqual([BETA.id]);
    expect(samplesOf(metrics, 'piragua_volume_quota_soft_limit_exceeded')).toEqual([]);
    expect(metrics.types.get('piragua_volume_quota_soft_limit_exceeded')).toBe('gauge');
    index.records = [ALPHA];
    metrics = await scrape();
    expect(samplesOf(metrics, 'piragua_volume_quota_limit_bytes').map((sample) => sample.labels.id)).toEqual([
      ALPHA.id,
    ]);
    expect(samplesOf(metrics, 'heketi_volumes_count', { cluster: GV1.id })[0]?.value).toBe(0);
  });

  it("should compare each cluster's committed quotas with its capacity times the overcommit", async () => {
    index.pendingGiB.set(GV0.id, 4);
    const metrics = await scrape();
    expect(valueOf(metrics, 'piragua_cluster_capacity_bytes', { cluster: GV0.id })).toBe(10 * GIB);
    expect(valueOf(metrics, 'piragua_cluster_quota_committed_bytes', { cluster: GV0.id })).toBe(7 * GIB);
    expect(valueOf(metrics, 'piragua_cluster_quota_allowed_bytes', { cluster: GV0.id })).toBe(15 * GIB);
    // 3 GiB × 1.5 = 4.5 GiB: placement counts whole GiB.
    expect(valueOf(metrics, 'piragua_cluster_quota_allowed_bytes', { cluster: GV1.id })).toBe(4 * GIB);
    expect(valueOf(metrics, 'piragua_cluster_quota_committed_bytes', { cluster: GV1.id })).toBe(GIB);
  });

  it("should report the last reconciliation pass's findings by kind, every kind from the start", async () => {
    let metrics = await scrape();
    expect(samplesOf(metrics, 'piragua_reconciler_findings').map((sample) => sample.labels.kind)).toEqual(
      expect.arrayContaining([
        'interrupted-create',
        'interrupted-delete',
        'interrupted-expand',
        'missing-quota',
        'orphan-name',
        'stale-lock',
      ]),
    );
    expect(samplesOf(metrics, 'piragua_reconciler_findings').every((sample) => sample.value === 0)).toBe(true);
    events.emit(
      RECONCILER_PASSED,
      new ReconcilerPassed(
        new Map([
          ['missing-quota', 2],
          ['stale-lock', 1],
        ]),
        1,
      ),
    );
    metrics = await scrape();
    expect(valueOf(metrics, 'piragua_reconciler_findings', { kind: 'missing-quota' })).toBe(2);
    expect(valueOf(metrics, 'piragua_reconciler_findings', { kind: 'stale-lock' })).toBe(1);
    expect(valueOf(metrics, 'piragua_reconciler_findings', { kind: 'orphan-name' })).toBe(0);
  });

  it("should copy the reconciler's count of finished passes, so a pass can be waited for", async () => {
    events.emit(RECONCILER_PASSED, new ReconcilerPassed(new Map(), 3));
    const metrics = await scrape();
    expect(metrics.types.get('piragua_reconciler_passes_total')).toBe('counter');
    expect(valueOf(metrics, 'piragua_reconciler_passes_total')).toBe(3);
  });

  it('should count gluster commands by subcommand and outcome in a histogram, and their lock retries', async () => {
    expect(valueOf(await scrape(), 'piragua_gluster_lock_retries_total')).toBe(0);
    ran('volume quota limit-usage', 'ok', 0.2, 0);
    ran('volume quota limit-usage', 'ok', 3, 2);
    ran('volume quota limit-usage', 'lock_contention', 61, 5);
    ran('volume quota list', 'timeout', 120, 0);
    let metrics = await scrape();
    const ok = { outcome: 'ok', subcommand: 'volume quota limit-usage' };
    expect(metrics.types.get('piragua_gluster_command_duration_seconds')).toBe('histogram');
    expect(valueOf(metrics, 'piragua_gluster_command_duration_seconds_count', ok)).toBe(2);
    expect(valueOf(metrics, 'piragua_gluster_command_duration_seconds_sum', ok)).toBe(3.2);
    expect(valueOf(metrics, 'piragua_gluster_command_duration_seconds_bucket', { ...ok, le: '0.25' })).toBe(1);
    expect(valueOf(metrics, 'piragua_gluster_command_duration_seconds_bucket', { ...ok, le: '5' })).toBe(2);
    expect(valueOf(metrics, 'piragua_gluster_command_duration_seconds_count', { outcome: 'lock_contention' })).toBe(1);
    expect(
      valueOf(metrics, 'piragua_gluster_command_duration_seconds_count', {
        outcome: 'timeout',
        subcommand: 'volume quota list',
      }),
    ).toBe(1);
    expect(metrics.types.get('piragua_gluster_lock_retries_total')).toBe('counter');
    expect(valueOf(metrics, 'piragua_gluster_lock_retries_total')).toBe(7);
    ran('volume quota list', 'ok', 1, 2);
    metrics = await scrape();
    expect(valueOf(metrics, 'piragua_gluster_lock_retries_total')).toBe(9);
  });

  it('should count storage calls by port method and origin', async () => {
    const listeners = context.get(EventEmitterReadinessWatcher);
    const topology = countedCalls(new FakeStorage([GV0]), events, listeners, TOPOLOGY_STORAGE_METHODS);
    const state = countedCalls(new FakeStorage([GV0]), events, listeners);
    topology.clusters();
    await state.loadVolume(GV0.id, ALPHA.id);
    await RequestScope.run('r1', () => state.loadVolume(GV0.id, ALPHA.id));
    await RequestScope.run('r2', () => state.loadVolume(GV0.id, ALPHA.id));
    const metrics = await scrape();
    expect(metrics.types.get('piragua_backend_calls_total')).toBe('counter');
    expect(valueOf(metrics, 'piragua_backend_calls_total', { method: 'loadVolume', origin: 'background' })).toBe(1);
    expect(valueOf(metrics, 'piragua_backend_calls_total', { method: 'loadVolume', origin: 'request' })).toBe(2);
    // Answered from memory: not a storage call.
    expect(samplesOf(metrics, 'piragua_backend_calls_total', { method: 'clusters' })).toEqual([]);
  });

  it('should show the ready warm-pool directories per cluster and size', async () => {
    events.emit(
      WARM_POOL_COUNTED,
      new WarmPoolCounted(
        GV0.id,
        new Map([
          [1, 7],
          [10, 0],
        ]),
      ),
    );
    const metrics = await scrape();
    expect(valueOf(metrics, 'piragua_warm_pool_ready_directories', { cluster: GV0.id, size_gib: '1' })).toBe(7);
    expect(valueOf(metrics, 'piragua_warm_pool_ready_directories', { cluster: GV0.id, size_gib: '10' })).toBe(0);
  });

  it('should count ended operations by kind and result, with their durations', async () => {
    expect(
      samplesOf(await scrape(), 'piragua_operations_total').map((sample) => [
        sample.labels.kind,
        sample.labels.result,
        sample.value,
      ]),
    ).toEqual([
      ['create', 'failed', 0],
      ['create', 'succeeded', 0],
      ['delete', 'failed', 0],
      ['delete', 'succeeded', 0],
      ['expand', 'failed', 0],
      ['expand', 'succeeded', 0],
    ]);
    events.emit(OPERATION_ENDED, ended('create', 'succeeded', 1500));
    events.emit(OPERATION_ENDED, ended('create', 'succeeded', 500));
    events.emit(OPERATION_ENDED, ended('delete', 'failed', 40_000));
    const metrics = await scrape();
    expect(valueOf(metrics, 'piragua_operations_total', { kind: 'create', result: 'succeeded' })).toBe(2);
    expect(valueOf(metrics, 'piragua_operations_total', { kind: 'delete', result: 'failed' })).toBe(1);
    expect(valueOf(metrics, 'piragua_operations_total', { kind: 'expand', result: 'succeeded' })).toBe(0);
    expect(valueOf(metrics, 'piragua_operation_duration_seconds_sum', { kind: 'create', result: 'succeeded' })).toBe(2);
    expect(
      valueOf(metrics, 'piragua_operation_duration_seconds_bucket', { kind: 'delete', le: '30', result: 'failed' }),
    ).toBe(0);
    expect(
      valueOf(metrics, 'piragua_operation_duration_seconds_bucket', { kind: 'delete', le: '60', result: 'failed' }),
    ).toBe(1);
  });

  it('should include the default process and Node.js metrics', async () => {
    const names = exposedNames(await scrape());
    expect(names.has('process_cpu_seconds_total')).toBe(true);
    expect(names.has('nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('should answer concurrent scrapes each with a whole exposition', async () => {
    const [first, second] = await Promise.all([sut.scrape(), sut.scrape()]);
    for (const body of [first, second]) {
      expect(valueOf(parsePrometheusText(body), 'heketi_cluster_count')).toBe(2);
    }
  });
});
