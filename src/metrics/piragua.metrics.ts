import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendCalled } from '../backends/backend.events.js';

import type { GlusterCommandRan } from '../gluster/gluster-cli.events.js';
import type { OperationKind, QuotaUsage } from '../backends/backend.types.js';
import type { OperationEnded } from '../operations/operation.events.js';
import { FINDING_KINDS, type FindingKind } from '../reconciler/reconciler.types.js';

const OPERATION_KINDS: OperationKind[] = ['create', 'delete', 'expand'];
const OPERATION_RESULTS = ['failed', 'succeeded'] as const;
/** One gluster command takes a fraction of a second; lock retries stretch it to a minute, the timeout to two. */
const COMMAND_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OPERATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** One volume with its quota as of the last usage refresh. */
export interface VolumeQuota {
  cluster: string;
  id: string;
  name: string;
  usage: QuotaUsage;
}

/** One cluster's promised quotas against what placement allows. */
export interface ClusterQuota {
  /** Quota bytes placement lets volumes promise: capacity × PIRAGUA_OVERCOMMIT, in whole GiB. */
  allowedBytes: number;
  capacityBytes: number;
  cluster: string;
  /** Every volume's quota, including volumes being created or deleted. */
  committedBytes: number;
}

/** What piragua's gauges are computed from on one scrape. */
export interface PiraguaView {
  clusters: ClusterQuota[];
  findings: ReadonlyMap<FindingKind, number>;
  inFlight: number;
  quotaRefreshedAt?: Date;
  reconcilerPasses: number;
  volumes: VolumeQuota[];
  /** Ready pooled directories by cluster and size in GiB, as of the last refill. */
  warmPool: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

/**
 * piragua's own metrics: quotas per volume and per cluster, reconciler findings, the gluster CLI
 * and the operation queue. Gauges are set from a view on each scrape; the command and operation
 * counters and histograms are fed by events as they happen.
 */
export class PiraguaMetrics {
  private readonly quotaLimit: Gauge<'cluster' | 'id' | 'name'>;
  private readonly quotaUsed: Gauge<'cluster' | 'id' | 'name'>;
  private readonly softLimitExceeded: Gauge<'cluster' | 'id' | 'name'>;
  private readonly quotaRefreshed: Gauge;
  private readonly clusterCapacity: Gauge<'cluster'>;
  private readonly clusterCommitted: Gauge<'cluster'>;
  private readonly clusterAllowed: Gauge<'cluster'>;
  private readonly findings: Gauge<'kind'>;
  private readonly reconcilerPasses: Counter;
  private readonly commands: Histogram<'outcome' | 'subcommand'>;
  private readonly lockRetries: Counter;
  private readonly operations: Counter<'kind' | 'result'>;
  private readonly operationSeconds: Histogram<'kind' | 'result'>;
  private readonly inFlight: Gauge;
  private readonly backendCalls: Counter<'method' | 'origin'>;
  private readonly warmPool: Gauge<'cluster' | 'size_gib'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const volume = ['cluster', 'id', 'name'] as const;
    this.quotaLimit = new Gauge({
      help: 'Hard quota limit of the volume, as Gluster reports it',
      labelNames: volume,
      name: 'piragua_volume_quota_limit_bytes',
      registers,
    });
    this.quotaUsed = new Gauge({
      help: 'Bytes used in the volume, as its quota counts them',
      labelNames: volume,
      name: 'piragua_volume_quota_used_bytes',
      registers,
    });
    this.softLimitExceeded = new Gauge({
      help: '1 when the volume is past its soft limit (Gluster backend only)',
      labelNames: volume,
      name: 'piragua_volume_quota_soft_limit_exceeded',
      registers,
    });
    this.quotaRefreshed = new Gauge({
      help: 'When quota limits and usage were last read from the backend (0: not yet)',
      name: 'piragua_quota_usage_refreshed_timestamp_seconds',
      registers,
    });
    this.clusterCapacity = new Gauge({
      help: 'Usable size of the Gluster volume',
      labelNames: ['cluster'],
      name: 'piragua_cluster_capacity_bytes',
      registers,
    });
    this.clusterCommitted = new Gauge({
      help: 'Sum of the quotas of all volumes on the cluster, including ones being created or deleted',
      labelNames: ['cluster'],
      name: 'piragua_cluster_quota_committed_bytes',
      registers,
    });
    this.clusterAllowed = new Gauge({
      help: 'Sum of quotas the cluster accepts: capacity times PIRAGUA_OVERCOMMIT, in whole GiB',
      labelNames: ['cluster'],
      name: 'piragua_cluster_quota_allowed_bytes',
      registers,
    });
    this.findings = new Gauge({
      help: 'Findings of the last reconciliation pass, by kind',
      labelNames: ['kind'],
      name: 'piragua_reconciler_findings',
      registers,
    });
    this.reconcilerPasses = new Counter({
      help: 'Periodic reconciliation passes (with repair) finished since start-up',
      name: 'piragua_reconciler_passes_total',
      registers,
    });
    this.commands = new Histogram({
      buckets: COMMAND_BUCKETS,
      help: 'gluster CLI calls by subcommand and outcome, lock retries included in the duration',
      labelNames: ['outcome', 'subcommand'],
      name: 'piragua_gluster_command_duration_seconds',
      registers,
    });
    this.lockRetries = new Counter({
      help: "gluster commands retried because glusterd's lock was held elsewhere",
      name: 'piragua_gluster_lock_retries_total',
      registers,
    });
    this.operations = new Counter({
      help: 'Asynchronous operations that ended, by kind and result',
      labelNames: ['kind', 'result'],
      name: 'piragua_operations_total',
      registers,
    });
    this.operationSeconds = new Histogram({
      buckets: OPERATION_BUCKETS,
      help: 'Duration of asynchronous operations, by kind and result',
      labelNames: ['kind', 'result'],
      name: 'piragua_operation_duration_seconds',
      registers,
    });
    this.inFlight = new Gauge({
      help: 'Asynchronous operations running in this instance (the queue depth)',
      name: 'piragua_operations_in_flight',
      registers,
    });
    this.warmPool = new Gauge({
      help: 'Pre-made quota directories ready for creates of that size (PIRAGUA_WARM_POOL), as of the last refill',
      labelNames: ['cluster', 'size_gib'],
      name: 'piragua_warm_pool_ready_directories',
      registers,
    });
    this.backendCalls = new Counter({
      help: 'Calls that reached storage or the gluster CLI, by gateway method and by origin: an HTTP request waiting on it, or background work',
      labelNames: ['method', 'origin'],
      name: 'piragua_backend_calls_total',
      registers,
    });
    // Series that exist from the start, so increase() sees the first operation of each kind.
    for (const kind of OPERATION_KINDS) {
      for (const result of OPERATION_RESULTS) {
        this.operations.inc({ kind, result }, 0);
      }
    }
  }

  observeCommand(event: GlusterCommandRan): void {
    this.commands.observe({ outcome: event.outcome, subcommand: event.subcommand }, event.seconds);
    this.lockRetries.inc(event.lockRetries);
  }

  observeBackendCall(event: BackendCalled): void {
    this.backendCalls.inc({ method: event.method, origin: event.origin });
  }

  observeOperation(ended: OperationEnded): void {
    const labels = { kind: ended.record.kind, result: ended.record.state };
    this.operations.inc(labels);
    this.operationSeconds.observe(labels, ended.durationMs / 1000);
  }

  update(view: PiraguaView): void {
    for (const gauge of [
      this.quotaLimit,
      this.quotaUsed,
      this.softLimitExceeded,
      this.clusterCapacity,
      this.clusterCommitted,
      this.clusterAllowed,
      this.warmPool,
    ]) {
      gauge.reset();
    }
    for (const { cluster, id, name, usage } of view.volumes) {
      const labels = { cluster, id, name };
      this.quotaLimit.set(labels, usage.limitBytes);
      if (usage.usedBytes !== undefined) {
        this.quotaUsed.set(labels, usage.usedBytes);
      }
      if (usage.softLimitExceeded !== undefined) {
        this.softLimitExceeded.set(labels, usage.softLimitExceeded ? 1 : 0);
      }
    }
    this.quotaRefreshed.set(view.quotaRefreshedAt === undefined ? 0 : view.quotaRefreshedAt.getTime() / 1000);
    for (const { allowedBytes, capacityBytes, cluster, committedBytes } of view.clusters) {
      this.clusterCapacity.set({ cluster }, capacityBytes);
      this.clusterCommitted.set({ cluster }, committedBytes);
      this.clusterAllowed.set({ cluster }, allowedBytes);
    }
    for (const kind of FINDING_KINDS) {
      this.findings.set({ kind }, view.findings.get(kind) ?? 0);
    }
    // Kept by the reconciler since start-up; copied, never decreasing.
    this.reconcilerPasses.reset();
    this.reconcilerPasses.inc(view.reconcilerPasses);
    this.inFlight.set(view.inFlight);
    for (const [cluster, counts] of view.warmPool) {
      for (const [sizeGiB, ready] of counts) {
        this.warmPool.set({ cluster, size_gib: String(sizeGiB) }, ready);
      }
    }
  }
}
