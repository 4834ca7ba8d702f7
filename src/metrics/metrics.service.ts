import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { OnEvent } from '@nestjs/event-emitter';
import { BACKEND_CALLED, BackendCalled } from '../backends/backend.events.js';

import type { GlusterCommandRan } from '../gluster/gluster-cli.events.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { type ClusterTopology, GIB, volumeDirectory } from '../backends/backend.types.js';
import { OPERATION_ENDED, OperationEnded } from '../operations/operation.events.js';
import { OperationsService } from '../operations/operations.service.js';
import { RECONCILER_PASSED, ReconcilerPassed } from '../reconciler/reconciler.events.js';
import type { FindingKind } from '../reconciler/reconciler.types.js';
import { QuotaUsageService } from '../volumes/quota-usage.service.js';
import { VolumeIndexService } from '../volumes/volume-index.service.js';
import { WARM_POOL_COUNTED, WarmPoolCounted } from '../warm-pool/warm-pool.events.js';
import { HeketiMetrics } from './heketi.metrics.js';
import { ClusterQuota, PiraguaMetrics, VolumeQuota } from './piragua.metrics.js';

/** Prometheus' text format, version 0.0.4: what every registry here renders. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * `GET /metrics`. Everything is read from what the other services already keep in memory (the
 * topology's cache, the volume index, the last quota refresh, the last reconciliation
 * pass): a scrape never runs a gluster command or walks a directory.
 */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger(MetricsService.name);
  private readonly registry = new Registry();
  /** Heketi's gauges other than heketi_up, shown only while the topology is readable. */
  private readonly topologyRegistry = new Registry();
  private readonly withTopology: Registry;
  private readonly heketi: HeketiMetrics;
  private readonly piragua: PiraguaMetrics;
  private scraping: Promise<unknown> = Promise.resolve();
  /** As the last reconciliation pass and the last warm-pool counts said. */
  private findings: ReadonlyMap<FindingKind, number> = new Map();
  private reconcilerPasses = 0;
  private readonly warmPool = new Map<string, ReadonlyMap<number, number>>();

  constructor(
    private readonly config: AppConfig,
    private readonly topology: TopologyBackend,
    private readonly index: VolumeIndexService,
    private readonly operations: OperationsService,
    private readonly quotaUsage: QuotaUsageService,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.heketi = new HeketiMetrics(this.registry, this.topologyRegistry);
    this.piragua = new PiraguaMetrics(this.registry);
    this.withTopology = Registry.merge([this.registry, this.topologyRegistry]);
  }

  /** Fed by GlusterCommandsListener. */
  observeGlusterCommand(event: GlusterCommandRan): void {
    this.piragua.observeCommand(event);
  }

  @OnEvent(BACKEND_CALLED)
  onBackendCalled(event: BackendCalled): void {
    this.piragua.observeBackendCall(event);
  }

  @OnEvent(OPERATION_ENDED)
  onOperationEnded(event: OperationEnded): void {
    this.piragua.observeOperation(event);
  }

  @OnEvent(RECONCILER_PASSED)
  onReconcilerPassed(event: ReconcilerPassed): void {
    this.findings = event.findings;
    this.reconcilerPasses = event.passes;
  }

  @OnEvent(WARM_POOL_COUNTED)
  onWarmPoolCounted(event: WarmPoolCounted): void {
    this.warmPool.set(event.clusterId, new Map(event.ready));
  }

  /** One scrape at a time: each renders the values it set itself. */
  scrape(): Promise<string> {
    const next = this.scraping.then(
      () => this.collect(),
      () => this.collect(),
    );
    this.scraping = next;
    return next;
  }

  private async collect(): Promise<string> {
    let clusters: ClusterTopology[];
    let volumeIds: ReadonlyMap<string, readonly string[]>;
    try {
      clusters = this.topology.clusters();
      volumeIds = await this.index.idsByCluster();
    } catch (error) {
      this.logger.warn(`Cannot read the topology for metrics: ${(error as Error).message}`);
      this.heketi.down();
      this.updatePiragua([], []);
      return this.registry.metrics();
    }
    const inFlight = this.operations.inFlight;
    this.heketi.update({ clusters, inFlight, volumeIds });
    this.updatePiragua(await this.clusterQuotas(clusters), await this.volumeQuotas(volumeIds));
    return this.withTopology.metrics();
  }

  private updatePiragua(clusters: ClusterQuota[], volumes: VolumeQuota[]): void {
    this.piragua.update({
      clusters,
      findings: this.findings,
      inFlight: this.operations.inFlight,
      quotaRefreshedAt: this.quotaUsage.current().refreshedAt,
      reconcilerPasses: this.reconcilerPasses,
      volumes,
      warmPool: this.warmPool,
    });
  }

  private async clusterQuotas(clusters: ClusterTopology[]): Promise<ClusterQuota[]> {
    const quotas: ClusterQuota[] = [];
    for (const cluster of clusters) {
      quotas.push({
        // Rounded down to whole GiB exactly as placement rounds it, so "committed = allowed" means full.
        allowedBytes: Math.floor((cluster.capacityBytes * this.config.gluster.overcommit) / GIB) * GIB,
        capacityBytes: cluster.capacityBytes,
        cluster: cluster.id,
        committedBytes: (await this.index.reservedGiB(cluster.id)) * GIB,
      });
    }
    return quotas;
  }

  /** Visible volumes joined with the last quota refresh; a volume it has not seen yet has no series. */
  private async volumeQuotas(volumeIds: ReadonlyMap<string, readonly string[]>): Promise<VolumeQuota[]> {
    const { usage } = this.quotaUsage.current();
    const volumes: VolumeQuota[] = [];
    for (const [cluster, ids] of volumeIds) {
      for (const id of ids) {
        // From the index's memory: the id was just listed as ready (only a volume that changed since is read again).
        const record = await this.index.visible(id);
        // Quotas are kept by directory, which differs from the id for volumes adopted from the Rust piragua.
        const quota = record && usage.get(volumeDirectory(record));
        if (quota && record) {
          volumes.push({ cluster, id, name: record.name, usage: quota });
        }
      }
    }
    return volumes;
  }
}
