import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { GlusterGateway } from '../gluster/gluster.gateway.js';
import { ClusterTopology, GIB, OperationRecord, VolumeRecord } from '../gluster/gluster.types.js';
import { OperationsService } from './operations.service.js';
import { VolumeIndexService } from './volume-index.service.js';
import { VolumesService } from './volumes.service.js';

export type FindingKind =
  | 'interrupted-create'
  | 'interrupted-expand'
  | 'interrupted-delete'
  | 'directory-without-record'
  | 'quota-without-directory'
  | 'missing-quota'
  | 'orphan-name';

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
export class ReconcilerService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconcilerService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly gateway: GlusterGateway,
    private readonly index: VolumeIndexService,
    private readonly operations: OperationsService,
    private readonly volumes: VolumesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const reports = await this.reconcile(true);
    const findings = reports.flatMap((report) => report.findings);
    for (const finding of findings) {
      this.logger.warn(`${finding.kind}${finding.volumeId ? ` ${finding.volumeId}` : ''}: ${finding.detail}${finding.repaired ? ' (repaired)' : ''}`);
    }
    if (findings.length > 0) {
      await this.index.refresh();
    }
  }

  async reconcile(repair: boolean): Promise<ClusterReport[]> {
    const reports: ClusterReport[] = [];
    for (const cluster of this.gateway.clusters()) {
      try {
        reports.push({ cluster: cluster.id, findings: await this.reconcileCluster(cluster, repair), volume: cluster.volumeName });
      } catch (error) {
        this.logger.error(`Cannot reconcile ${cluster.volumeName}: ${(error as Error).message}`);
      }
    }
    return reports;
  }

  private async reconcileCluster(cluster: ClusterTopology, repair: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
    const [operations, records, directories, quotas, names] = await Promise.all([
      this.gateway.loadOperations(cluster.id),
      this.gateway.loadVolumes(cluster.id),
      this.gateway.listVolumeDirectories(cluster.id),
      this.gateway.quotaUsage(cluster.id),
      this.gateway.loadNames(cluster.id),
    ]);
    const operationsById = new Map(operations.map((operation) => [operation.id, operation]));
    const recordsById = new Map(records.map((record) => [record.id, record]));
    const live = new Set(operations.filter((operation) => this.isLive(operation)).map((operation) => operation.volumeId));

    // Volumes whose state was settled above are not reported again below.
    const handled = new Set<string>();
    for (const operation of operations) {
      if (operation.state === 'pending' && !this.isLive(operation)) {
        findings.push(await this.finishInterrupted(operation, recordsById.get(operation.volumeId), repair));
        handled.add(operation.volumeId);
      }
    }
    for (const record of records.filter((candidate) => !handled.has(candidate.id))) {
      const operation = record.operationId ? operationsById.get(record.operationId) : undefined;
      if ((record.operationId || record.state !== 'ready') && operation?.state !== 'pending') {
        // Its operation never got recorded, or ended without tidying up: nobody is working on it.
        const unrecorded: OperationRecord = {
          clusterId: cluster.id,
          id: operation ? '' : (record.operationId ?? ''),
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
    for (const volumeId of directories.filter((id) => !handled.has(id))) {
      if (!recordsById.has(volumeId) && !live.has(volumeId)) {
        findings.push(await this.fix(repair, 'directory-without-record', volumeId, 'a volume directory with no record (a create interrupted before it was recorded)', () => this.discard(cluster.id, volumeId)));
        handled.add(volumeId);
      }
    }
    for (const [volumeId, quota] of quotas) {
      if (/^[0-9a-f]{32}$/.test(volumeId) && !handled.has(volumeId) && !directories.includes(volumeId) && !live.has(volumeId)) {
        findings.push(await this.fix(repair, 'quota-without-directory', volumeId, `a quota of ${quota.limitBytes} bytes on a directory that does not exist`, () => this.gateway.removeQuota(cluster.id, volumeId)));
        handled.add(volumeId);
      }
    }
    for (const record of records.filter((candidate) => candidate.state === 'ready' && !candidate.operationId && !handled.has(candidate.id) && !quotas.has(candidate.id))) {
      findings.push(await this.fix(repair, 'missing-quota', record.id, `no quota on a listed volume; its recorded size is ${record.sizeGiB} GiB`, () => this.gateway.setQuota(cluster.id, record.id, record.sizeGiB * GIB)));
    }
    for (const [name, volumeId] of names) {
      if (!handled.has(volumeId) && !recordsById.has(volumeId) && !directories.includes(volumeId) && !live.has(volumeId)) {
        findings.push(await this.fix(repair, 'orphan-name', volumeId, `the name '${name}' is reserved for a volume that does not exist`, () => this.gateway.releaseName(cluster.id, name, volumeId)));
      }
    }
    if (repair && findings.some((finding) => finding.repaired)) {
      this.volumes.schedulePurge(cluster.id);
    }
    return findings;
  }

  /** Another instance may still be running an operation it owns; this instance knows its own died. */
  private isLive(operation: OperationRecord): boolean {
    return operation.state === 'pending' && (operation.owner !== this.config.instanceId || this.operations.isRunningHere(operation.id));
  }

  private async finishInterrupted(operation: OperationRecord, record: VolumeRecord | undefined, repair: boolean): Promise<Finding> {
    const { clusterId, volumeId } = operation;
    if (operation.kind === 'create') {
      if (record?.state === 'ready' && !record.operationId) {
        return this.fix(repair, 'interrupted-create', volumeId, 'created, but the result was not recorded', () => this.settle(operation, 'succeeded'));
      }
      return this.fix(repair, 'interrupted-create', volumeId, 'a create that did not finish; rolled back', async () => {
        await this.discard(clusterId, volumeId, record?.name);
        await this.settle(operation, 'failed', 'Failed to create volume: piragua restarted before the volume was ready; nothing was created');
      });
    }
    if (operation.kind === 'delete') {
      return this.fix(repair, 'interrupted-delete', volumeId, 'a delete that did not finish; completed', async () => {
        await this.discard(clusterId, volumeId, record?.name);
        await this.settle(operation, 'succeeded');
      });
    }
    return this.fix(repair, 'interrupted-expand', volumeId, 'an expand that did not finish; size taken from the quota', async () => {
      if (!record) {
        return this.settle(operation, 'failed', 'Failed to expand volume: the volume no longer exists');
      }
      const limit = await this.gateway.readQuota(clusterId, volumeId);
      const sizeGiB = limit !== undefined && limit >= record.sizeGiB * GIB ? Math.floor(limit / GIB) : record.sizeGiB;
      await this.gateway.saveVolume({ ...record, operationId: undefined, sizeGiB, state: 'ready' });
      await this.settle(
        operation,
        sizeGiB > record.sizeGiB ? 'succeeded' : 'failed',
        sizeGiB > record.sizeGiB ? undefined : 'Failed to expand volume: piragua restarted before the quota was raised',
      );
    });
  }

  /** Quota off, directory into the trash, name and record released: the state of a volume that never was. */
  private async discard(clusterId: string, volumeId: string, name?: string): Promise<void> {
    await this.gateway.removeQuota(clusterId, volumeId);
    await this.gateway.trashVolumeDirectory(clusterId, volumeId);
    for (const [reserved, owner] of await this.gateway.loadNames(clusterId)) {
      if (owner === volumeId && (name === undefined || reserved === name)) {
        await this.gateway.releaseName(clusterId, reserved, volumeId);
      }
    }
    await this.gateway.removeVolume(clusterId, volumeId);
    this.index.remove(volumeId);
  }

  private async settle(operation: OperationRecord, outcome: 'succeeded' | 'failed', message?: string): Promise<void> {
    if (operation.id) {
      await this.operations.settle(operation, outcome, message);
    }
  }

  private async fix(repair: boolean, kind: FindingKind, volumeId: string, detail: string, action: () => Promise<unknown>): Promise<Finding> {
    if (!repair) {
      return { detail, kind, repaired: false, volumeId };
    }
    try {
      await action();
      return { detail, kind, repaired: true, volumeId };
    } catch (error) {
      return { detail: `${detail}; repair failed: ${(error as Error).message}`, kind, repaired: false, volumeId };
    }
  }
}
