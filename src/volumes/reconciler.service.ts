import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { TRASH_FILLED, TrashFilled } from '../backends/state/volume-state.events.js';
import { PeriodicTask } from '../common/periodic-task.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import {
  ClusterTopology,
  GIB,
  LEGACY_DIRECTORY,
  OperationRecord,
  QuotaUsage,
  VOLUME_DIRECTORY,
  volumeDirectory,
  VolumeRecord,
} from '../backends/backend.types.js';
import { InstancesService } from './instances.service.js';
import { OperationsService } from './operations.service.js';
import { QuotaUsageService } from './quota-usage.service.js';
import { publicReason } from './step-failure.js';
import { VolumeIndexService } from './volume-index.service.js';

/**
 * One periodic pass in this many is thorough, as are the first after start-up and every examine or
 * repair asked for: it reads every volume's limit afresh and searches for quotas whose directory is
 * gone, which lists every limit (Gluster: `quota list`, seconds at thousands of volumes, competing
 * with creates for glusterd's lock). The other passes take the limits the last usage refresh saw.
 */
const THOROUGH_PASS_EVERY = 10;

/** Every kind of finding, in the order the API documents them; metrics show each from the start. */
export const FINDING_KINDS = [
  'interrupted-create',
  'interrupted-expand',
  'interrupted-delete',
  'directory-without-record',
  'quota-without-directory',
  'quota-list-failed',
  'missing-quota',
  'orphan-name',
  'stale-lock',
  'legacy-volume',
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  detail: string;
  kind: FindingKind;
  repaired: boolean;
  volumeId?: string;
}

export interface ClusterReport {
  cluster: string;
  findings: Finding[];
  volume: string;
}

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
  /** Findings of the last pass, by kind, for metrics. */
  private lastCounts = new Map<FindingKind, number>();
  private periodicPasses = 0;
  private periodicPassesDone = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly events: EventEmitter2,
    private readonly topology: TopologyBackend,
    private readonly quotas: QuotaBackend,
    private readonly state: VolumeStateStore,
    private readonly index: VolumeIndexService,
    private readonly instances: InstancesService,
    private readonly operations: OperationsService,
    private readonly quotaUsage: QuotaUsageService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.repairAndLog();
    this.timer = new PeriodicTask(this.config.reconcileIntervalMs, () => this.repairAndLog()).start();
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  /** Periodic passes (with repair) finished since start-up. */
  get passesCompleted(): number {
    return this.periodicPassesDone;
  }

  get findingCounts(): ReadonlyMap<FindingKind, number> {
    return this.lastCounts;
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
    this.lastCounts = new Map();
    for (const finding of findings) {
      this.lastCounts.set(finding.kind, (this.lastCounts.get(finding.kind) ?? 0) + 1);
      this.logger.warn(
        `${finding.kind}${finding.volumeId ? ` ${finding.volumeId}` : ''}: ${finding.detail}${finding.repaired ? ' (repaired)' : ''}`,
      );
    }
    if (findings.length > 0) {
      await this.index.refresh();
    }
    this.periodicPassesDone += 1;
  }

  private async pass(repair: boolean, thorough: boolean): Promise<ClusterReport[]> {
    const reports: ClusterReport[] = [];
    for (const cluster of this.topology.clusters()) {
      try {
        reports.push({
          cluster: cluster.id,
          findings: await this.reconcileCluster(cluster, repair, thorough),
          volume: cluster.volumeName,
        });
      } catch (error) {
        this.logger.error(`Cannot reconcile ${cluster.volumeName}: ${(error as Error).message}`);
      }
    }
    return reports;
  }

  private async reconcileCluster(cluster: ClusterTopology, repair: boolean, thorough: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
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
    // Limits are read after the records, also of volumes the listing missed (a create that finished
    // in between): a volume recorded as ready had its limit before. A light pass takes a limit the
    // last usage refresh saw as it is (one removed since is found after the next refresh), except
    // on legacy directories, whose limit becomes a size.
    const refreshed: ReadonlyMap<string, QuotaUsage> = thorough ? new Map() : this.quotaUsage.current().usage;
    const unsure = [...new Set([...directories, ...records.map(volumeDirectory)])].filter(
      (directory) => !refreshed.has(directory) || LEGACY_DIRECTORY.test(directory),
    );
    const read = await this.quotas.directoryLimits(cluster.id, unsure);
    // Not alongside the reads above: those may ask quota list too, and two at once trip over glusterd's lock.
    const listed = thorough
      ? await this.quotas.quotaLimits(cluster.id).then(
          (all) => ({ all }),
          (error: unknown) => ({ error: error as Error }),
        )
      : undefined;
    const limits = new Map([
      ...[...refreshed].map(([directory, quota]) => [directory, quota.limitBytes] as const),
      ...read,
    ]);
    const operations = await this.state.loadOperations(cluster.id);
    // Volumes of the Rust piragua (`/<uuid-with-dashes>/<name>`) are adopted first, so that the
    // checks below see them as the volumes they are.
    const adopted = await this.adoptLegacyVolumes(cluster.id, directories, limits, records, repair);
    findings.push(...adopted.findings);
    records.push(...adopted.records);
    const operationsById = new Map(operations.map((operation) => [operation.id, operation]));
    const recordsById = new Map(records.map((record) => [record.id, record]));
    const live = new Set(operations.filter(isLive).map((operation) => operation.volumeId));

    // Volumes whose state was settled above are not reported again below.
    const handled = new Set<string>();
    for (const seen of operations) {
      if (seen.state === 'pending' && !isLive(seen)) {
        // Read again: an operation of this process may have finished since the list was read, and
        // its volume must then be judged by what the operation left, not by the earlier read.
        const operation = await this.state.loadOperation(cluster.id, seen.id);
        if (operation?.state !== 'pending' || isLive(operation)) {
          continue;
        }
        findings.push(
          await this.finishInterrupted(
            operation,
            await this.state.loadVolume(cluster.id, operation.volumeId),
            repair,
          ),
        );
        handled.add(operation.volumeId);
      }
    }
    for (const seen of records.filter((candidate) => !handled.has(candidate.id))) {
      const operation = seen.operationId ? operationsById.get(seen.operationId) : undefined;
      if ((seen.operationId || seen.state !== 'ready') && operation?.state !== 'pending') {
        // Read again: its operation may have finished (and been collected) since the first read.
        const record = await this.state.loadVolume(cluster.id, seen.id);
        const current = record?.operationId
          ? await this.state.loadOperation(cluster.id, record.operationId)
          : undefined;
        if (!record || (record.state === 'ready' && !record.operationId) || (current && isLive(current))) {
          continue;
        }
        // Its operation never got recorded, or ended without tidying up: nobody is working on it.
        const unrecorded: OperationRecord = {
          clusterId: cluster.id,
          id: current ? '' : (record.operationId ?? ''),
          incarnation: '',
          kind: record.state === 'creating' ? 'create' : record.state === 'deleting' ? 'delete' : 'expand',
          owner: this.config.instanceId,
          startedAt: record.createdAt,
          state: 'pending',
          volumeId: record.id,
        };
        findings.push(await this.finishInterrupted(unrecorded, record, repair));
        handled.add(record.id);
      }
    }
    // Orphans are checked once more against the record itself, which a create that finished since
    // the first reads has written by now.
    const orphaned = async (volumeId: string) => !(await this.state.loadVolume(cluster.id, volumeId));
    const listedDirectories = new Set(directories);
    const directoryIds = new Set(directories.map((directory) => directory.replaceAll('-', '')));
    for (const volumeId of directories.filter((id) => !handled.has(id) && !LEGACY_DIRECTORY.test(id))) {
      if (!recordsById.has(volumeId) && !live.has(volumeId) && (await orphaned(volumeId))) {
        findings.push(
          await this.fix(
            repair,
            'directory-without-record',
            volumeId,
            'a volume directory with no record (a create interrupted before it was recorded)',
            () => this.discard(cluster.id, volumeId),
          ),
        );
        handled.add(volumeId);
      }
    }
    if (listed && 'error' in listed) {
      findings.push({
        detail: `quota list failed, so quotas on directories that no longer exist were not searched for: ${publicReason('quota list', listed.error)}. Gluster 10 fails the whole list once a directory that had a limit is deleted without 'quota remove'; its cli.log then names the directory's gfid ("Failed to get quota limits for <gfid>")`,
        kind: 'quota-list-failed',
        repaired: false,
      });
    }
    for (const [volumeId, limitBytes] of listed && 'all' in listed ? listed.all : []) {
      if (
        VOLUME_DIRECTORY.test(volumeId) &&
        !handled.has(volumeId) &&
        !listedDirectories.has(volumeId) &&
        !live.has(volumeId) &&
        (await orphaned(volumeId))
      ) {
        findings.push(
          await this.fix(
            repair,
            'quota-without-directory',
            volumeId,
            `a quota of ${limitBytes} bytes on a directory that does not exist`,
            () => this.quotas.removeQuota(cluster.id, volumeId),
          ),
        );
        handled.add(volumeId);
      }
    }
    for (const seen of records.filter(
      (candidate) =>
        candidate.state === 'ready' &&
        !candidate.operationId &&
        !handled.has(candidate.id) &&
        !limits.has(volumeDirectory(candidate)),
    )) {
      // Read again: a delete that began since the first read has taken the directory, and its limit, away.
      const record = await this.state.loadVolume(cluster.id, seen.id);
      if (record?.state !== 'ready' || record.operationId) {
        continue;
      }
      findings.push(
        await this.fix(
          repair,
          'missing-quota',
          record.id,
          `no quota on a listed volume; its recorded size is ${record.sizeGiB} GiB`,
          () => this.quotas.setQuota(cluster.id, volumeDirectory(record), record.sizeGiB * GIB),
        ),
      );
    }
    for (const [name, volumeId] of names) {
      if (
        !handled.has(volumeId) &&
        !recordsById.has(volumeId) &&
        !directoryIds.has(volumeId) &&
        !live.has(volumeId) &&
        (await orphaned(volumeId))
      ) {
        findings.push(
          await this.fix(
            repair,
            'orphan-name',
            volumeId,
            `the name '${name}' is reserved for a volume that does not exist`,
            () => this.state.releaseName(cluster.id, name, volumeId),
          ),
        );
      }
    }
    // Every lock, also one left on a volume that no longer exists at all.
    for (const [volumeId, holder] of await this.state.loadLocks(cluster.id)) {
      if (handled.has(volumeId)) {
        continue;
      }
      // The lock may belong to an operation that started after the operations were read.
      const operation = operationsById.get(holder) ?? (await this.state.loadOperation(cluster.id, holder));
      if (!(operation && isLive(operation))) {
        findings.push(
          await this.fix(
            repair,
            'stale-lock',
            volumeId,
            `locked by operation ${holder}, which is no longer running`,
            () => this.state.unlockVolume(cluster.id, volumeId, holder),
          ),
        );
      }
    }
    if (repair && findings.some((finding) => finding.repaired)) {
      this.events.emit(TRASH_FILLED, new TrashFilled(cluster.id));
    }
    return findings;
  }

  private async finishInterrupted(
    operation: OperationRecord,
    record: VolumeRecord | undefined,
    repair: boolean,
  ): Promise<Finding> {
    const { clusterId, volumeId } = operation;
    if (operation.kind === 'create') {
      if (record?.state === 'ready' && !record.operationId) {
        return this.fix(repair, 'interrupted-create', volumeId, 'created, but the result was not recorded', () =>
          this.settle(operation, 'succeeded'),
        );
      }
      return this.fix(repair, 'interrupted-create', volumeId, 'a create that did not finish; rolled back', async () => {
        await this.discard(clusterId, volumeId, record);
        await this.settle(
          operation,
          'failed',
          'Failed to create volume: the piragua instance running it stopped before the volume was ready; nothing was created',
        );
      });
    }
    if (operation.kind === 'delete' && record?.state === 'ready' && !record.operationId) {
      return this.fix(
        repair,
        'interrupted-delete',
        volumeId,
        'a delete that stopped before it began; nothing was deleted',
        () =>
          this.settle(
            operation,
            'failed',
            'Failed to delete volume: the piragua instance running it stopped before it began; nothing was deleted',
          ),
      );
    }
    if (operation.kind === 'delete') {
      return this.fix(repair, 'interrupted-delete', volumeId, 'a delete that did not finish; completed', async () => {
        await this.discard(clusterId, volumeId, record);
        await this.settle(operation, 'succeeded');
      });
    }
    return this.fix(
      repair,
      'interrupted-expand',
      volumeId,
      'an expand that did not finish; size taken from the quota',
      async () => {
        if (!record) {
          return this.settle(operation, 'failed', 'Failed to expand volume: the volume no longer exists');
        }
        const limit = await this.quotas.readQuota(clusterId, volumeDirectory(record));
        const sizeGiB = limit !== undefined && limit >= record.sizeGiB * GIB ? Math.floor(limit / GIB) : record.sizeGiB;
        await this.state.saveVolume({ ...record, operationId: undefined, sizeGiB, state: 'ready' });
        await this.releaseLock(clusterId, volumeId);
        await this.settle(
          operation,
          sizeGiB > record.sizeGiB ? 'succeeded' : 'failed',
          sizeGiB > record.sizeGiB
            ? undefined
            : 'Failed to expand volume: the piragua instance running it stopped before the quota was raised',
        );
      },
    );
  }

  /** Directory (with its quota) into the trash, name and record released: the state of a volume that never was. */
  private async discard(clusterId: string, volumeId: string, record?: VolumeRecord): Promise<void> {
    await this.state.trashVolumeDirectory(clusterId, record ? volumeDirectory(record) : volumeId);
    for (const [reserved, owner] of await this.state.loadNames(clusterId)) {
      if (owner === volumeId && (record === undefined || reserved === record.name)) {
        await this.state.releaseName(clusterId, reserved, volumeId);
      }
    }
    await this.state.removeVolume(clusterId, volumeId);
    await this.releaseLock(clusterId, volumeId);
    this.index.remove(volumeId);
  }

  /**
   * Records the Rust piragua's volumes as they are: id = the uuid without dashes, size from the
   * quota on the top directory, name and group from the directory below it. Nothing is moved or
   * renamed; a legacy directory that cannot be read that way is reported and left alone.
   */
  private async adoptLegacyVolumes(
    clusterId: string,
    directories: string[],
    limits: Map<string, number>,
    records: VolumeRecord[],
    repair: boolean,
  ): Promise<{ findings: Finding[]; records: VolumeRecord[] }> {
    const known = new Set(records.map((record) => record.id));
    const result: { findings: Finding[]; records: VolumeRecord[] } = { findings: [], records: [] };
    for (const directory of directories.filter((candidate) => LEGACY_DIRECTORY.test(candidate))) {
      const id = directory.replaceAll('-', '');
      if (known.has(id)) {
        continue;
      }
      const inner = await this.state.inspectVolumeDirectory(clusterId, directory);
      const limit = limits.get(directory);
      if (!inner || limit === undefined) {
        const why = !inner ? 'there is no volume directory below it' : 'it has no quota, so its size is unknown';
        result.findings.push({
          detail: `/${directory} looks like a Rust piragua volume but ${why}; left as it is`,
          kind: 'legacy-volume',
          repaired: false,
          volumeId: id,
        });
        continue;
      }
      const record: VolumeRecord = {
        clusterId,
        createdAt: inner.createdAt,
        directory,
        durability: { disperse: {}, replicate: {}, type: 'none' },
        gid: inner.gid || undefined,
        id,
        name: inner.name,
        sizeGiB: Math.ceil(limit / GIB),
        snapshot: { enable: false, factor: 1 },
        state: 'ready',
      };
      result.findings.push(
        await this.fix(
          repair,
          'legacy-volume',
          id,
          `/${directory}/${inner.name} (${record.sizeGiB} GiB) from the Rust piragua, adopted as it is`,
          async () => {
            if (!(await this.state.claimName(clusterId, record.name, id))) {
              this.logger.warn(
                `Adopted volume ${id} shares the name '${record.name}' with another volume; its name is not reserved`,
              );
            }
            await this.state.saveVolume(record);
            this.index.put(record);
            result.records.push(record);
          },
        ),
      );
    }
    return result;
  }

  private async releaseLock(clusterId: string, volumeId: string): Promise<void> {
    const holder = await this.state.volumeLockHolder(clusterId, volumeId);
    if (holder) {
      await this.state.unlockVolume(clusterId, volumeId, holder);
    }
  }

  private async settle(operation: OperationRecord, outcome: 'succeeded' | 'failed', message?: string): Promise<void> {
    if (operation.id) {
      await this.operations.settle(operation, outcome, message);
    }
  }

  private async fix(
    repair: boolean,
    kind: FindingKind,
    volumeId: string,
    detail: string,
    action: () => Promise<unknown>,
  ): Promise<Finding> {
    if (!repair) {
      return { detail, kind, repaired: false, volumeId };
    }
    try {
      await action();
      return { detail, kind, repaired: true, volumeId };
    } catch (error) {
      const reason = publicReason(`repairing ${kind} of ${volumeId}`, error);
      return { detail: `${detail}; repair failed: ${reason}`, kind, repaired: false, volumeId };
    }
  }
}
