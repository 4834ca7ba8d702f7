import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { ClusterTopology } from '../backends/backend.types.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { PeriodicTask } from '../common/periodic-task.js';
import { AppConfig } from '../config/app-config.js';
import { VolumeIndexService } from '../volumes/volume-index.service.js';
import { ClusterScanner } from './cluster-scan.js';
import { InterruptedOperations } from './interrupted-operations.js';
import { LegacyAdoption } from './legacy-adoption.js';
import { LeftoverChecks } from './leftover-checks.js';
import { RECONCILER_PASSED, ReconcilerPassed } from './reconciler.events.js';
import type { ClusterReport, Finding, FindingKind } from './reconciler.types.js';

/**
 * One periodic pass in this many is thorough, as are the first after start-up and every examine or
 * repair asked for: it reads every volume's limit afresh and searches for quotas whose directory is
 * gone, which lists every limit (Gluster: `quota list`, seconds at thousands of volumes, competing
 * with creates for glusterd's lock). The other passes take the limits the last usage refresh saw.
 */
const THOROUGH_PASS_EVERY = 10;

/**
 * Brings the backend back to "every listed volume has its directory and its quota, and nothing
 * else exists": finishes or rolls back operations a crash interrupted, and removes what they left.
 * Only operations of this instance (or with no record at all) count as interrupted; other
 * instances' work in progress is left alone.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReconcilerService.name);
  private running?: Promise<unknown>;
  private timer?: PeriodicTask;
  private periodicPasses = 0;
  private periodicPassesDone = 0;

  constructor(
    private readonly adoption: LegacyAdoption,
    private readonly config: AppConfig,
    private readonly events: EventEmitter2,
    private readonly index: VolumeIndexService,
    private readonly interrupted: InterruptedOperations,
    private readonly leftovers: LeftoverChecks,
    private readonly scanner: ClusterScanner,
    private readonly topology: TopologyBackend,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.repairAndLog();
    this.timer = new PeriodicTask(this.config.reconcileIntervalMs, () => this.repairAndLog()).start();
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  /** One pass at a time per process; a pass asked for while another runs starts after it. */
  reconcile(repair: boolean, thorough = true): Promise<ClusterReport[]> {
    const next = (this.running ?? Promise.resolve([])).catch(() => []).then(() => this.pass(repair, thorough));
    this.running = next;
    return next;
  }

  private async repairAndLog(): Promise<void> {
    const thorough = this.periodicPasses % THOROUGH_PASS_EVERY === 0;
    this.periodicPasses += 1;
    const findings = (await this.reconcile(true, thorough)).flatMap((report) => report.findings);
    const counts = new Map<FindingKind, number>();
    for (const finding of findings) {
      counts.set(finding.kind, (counts.get(finding.kind) ?? 0) + 1);
      this.logger.warn(
        `${finding.kind}${finding.volumeId ? ` ${finding.volumeId}` : ''}: ${finding.detail}${finding.repaired ? ' (repaired)' : ''}`,
      );
    }
    if (findings.length > 0) {
      await this.index.refresh();
    }
    this.periodicPassesDone += 1;
    this.events.emit(RECONCILER_PASSED, new ReconcilerPassed(counts, this.periodicPassesDone));
  }

  private async pass(repair: boolean, thorough: boolean): Promise<ClusterReport[]> {
    const reports: ClusterReport[] = [];
    for (const cluster of this.topology.clusters()) {
      try {
        const findings = await this.reconcileCluster(cluster, repair, thorough);
        reports.push({ cluster: cluster.id, findings, volume: cluster.volumeName });
      } catch (error) {
        this.logger.error(`Cannot reconcile ${cluster.volumeName}: ${(error as Error).message}`);
      }
    }
    return reports;
  }

  /** Legacy volumes are adopted first and interrupted operations settled next, so that later checks see what they left. */
  private async reconcileCluster(cluster: ClusterTopology, repair: boolean, thorough: boolean): Promise<Finding[]> {
    const scan = await this.scanner.scan(cluster, thorough);
    return [
      ...(await this.adoption.adopt(scan, repair)),
      ...(await this.interrupted.check(scan, repair)),
      ...(await this.leftovers.check(scan, repair)),
    ];
  }
}
