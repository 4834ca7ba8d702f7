import { Injectable } from '@nestjs/common';
import {
  type ClusterTopology,
  LEGACY_DIRECTORY,
  type OperationRecord,
  type QuotaUsage,
  volumeDirectory,
  type VolumeRecord,
} from '../backends/backend.types.js';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { InstancesService } from '../operations/instances.service.js';
import { OperationsService } from '../operations/operations.service.js';
import { QuotaUsageService } from '../volumes/quota-usage.service.js';

/** What one pass read of a cluster, and what its checks have settled so far. */
export interface ClusterScan {
  cluster: ClusterTopology;
  directories: string[];
  /** Volumes whose state a check settled; later checks leave them alone. */
  handled: Set<string>;
  isLive: (operation: OperationRecord) => boolean;
  /** Limits by top-level directory. */
  limits: Map<string, number>;
  /** Volumes a live operation is working on, as of the scan. */
  live: ReadonlySet<string>;
  /** Every limit, also of directories that are gone: read on thorough passes only. */
  listed?: { all: Map<string, number> } | { error: Error };
  names: Map<string, string>;
  operations: OperationRecord[];
  records: VolumeRecord[];
}

/** The reads a reconciliation pass judges a cluster by, in the order that keeps them consistent. */
@Injectable()
export class ClusterScanner {
  constructor(
    private readonly instances: InstancesService,
    private readonly operations: OperationsService,
    private readonly quotas: QuotaBackend,
    private readonly quotaUsage: QuotaUsageService,
    private readonly state: VolumeStateStore,
  ) {}

  async scan(cluster: ClusterTopology, thorough: boolean): Promise<ClusterScan> {
    const isLive = await this.instances.liveness(cluster.id, (operationId) =>
      this.operations.isRunningHere(operationId),
    );
    // Operations are read last: whatever the other reads saw was made by an operation recorded
    // before it, so a change in progress is always explained by a live operation in this list.
    const [records, directories, names] = await Promise.all([
      this.state.loadVolumes(cluster.id),
      this.state.listVolumeDirectories(cluster.id),
      this.state.loadNames(cluster.id),
    ]);
    const { limits, listed } = await this.readLimits(cluster.id, directories, records, thorough);
    const operations = await this.state.loadOperations(cluster.id);
    const live = new Set(operations.filter(isLive).map((operation) => operation.volumeId));
    return { cluster, directories, handled: new Set(), isLive, limits, listed, live, names, operations, records };
  }

  /**
   * Limits are read after the records, also of volumes the listing missed (a create that finished
   * in between): a volume recorded as ready had its limit before. A light pass takes a limit the
   * last usage refresh saw as it is (one removed since is found after the next refresh), except on
   * legacy directories, whose limit becomes a size.
   */
  private async readLimits(
    clusterId: string,
    directories: string[],
    records: VolumeRecord[],
    thorough: boolean,
  ): Promise<Pick<ClusterScan, 'limits' | 'listed'>> {
    const refreshed: ReadonlyMap<string, QuotaUsage> = thorough ? new Map() : this.quotaUsage.current().usage;
    const unsure = [...new Set([...directories, ...records.map(volumeDirectory)])].filter(
      (directory) => !refreshed.has(directory) || LEGACY_DIRECTORY.test(directory),
    );
    const read = await this.quotas.directoryLimits(clusterId, unsure);
    // Not alongside the reads above: those may ask quota list too, and two at once trip over glusterd's lock.
    const listed = thorough
      ? await this.quotas.quotaLimits(clusterId).then(
          (all) => ({ all }),
          (error: unknown) => ({ error: error as Error }),
        )
      : undefined;
    const limits = new Map([
      ...[...refreshed].map(([directory, quota]) => [directory, quota.limitBytes] as const),
      ...read,
    ]);
    return { limits, listed };
  }
}
