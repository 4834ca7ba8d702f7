import { Injectable } from '@nestjs/common';
import { GIB, type OperationRecord, volumeDirectory, type VolumeRecord } from '../backends/backend.types.js';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { AppConfig } from '../config/app-config.js';
import { OperationsService } from '../operations/operations.service.js';
import { VolumeUndoService } from '../volumes/volume-undo.service.js';
import type { ClusterScan } from './cluster-scan.js';
import type { Finding } from './reconciler.types.js';
import { attemptRepair } from './repair-attempt.js';

/**
 * Finishes or rolls back the operations nobody is running any more (their instance stopped), and
 * the volumes left marked by an operation that never got recorded or ended without tidying up.
 */
@Injectable()
export class InterruptedOperations {
  constructor(
    private readonly config: AppConfig,
    private readonly operations: OperationsService,
    private readonly quotas: QuotaBackend,
    private readonly state: VolumeStateStore,
    private readonly undo: VolumeUndoService,
  ) {}

  async check(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    return [...(await this.deadOperations(scan, repair)), ...(await this.markedVolumes(scan, repair))];
  }

  private async deadOperations(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
    const clusterId = scan.cluster.id;
    for (const seen of scan.operations.filter(
      (candidate) => candidate.state === 'pending' && !scan.isLive(candidate),
    )) {
      // Read again: an operation of this process may have finished since the list was read, and
      // its volume must then be judged by what the operation left, not by the earlier read.
      const operation = await this.state.loadOperation(clusterId, seen.id);
      if (operation?.state !== 'pending' || scan.isLive(operation)) {
        continue;
      }
      const record = await this.state.loadVolume(clusterId, operation.volumeId);
      findings.push(await this.finish(operation, record, repair));
      scan.handled.add(operation.volumeId);
    }
    return findings;
  }

  private async markedVolumes(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
    const clusterId = scan.cluster.id;
    const operationsById = new Map(scan.operations.map((operation) => [operation.id, operation]));
    for (const seen of scan.records.filter((candidate) => !scan.handled.has(candidate.id))) {
      const operation = seen.operationId ? operationsById.get(seen.operationId) : undefined;
      if ((!seen.operationId && seen.state === 'ready') || operation?.state === 'pending') {
        continue;
      }
      // Read again: its operation may have finished (and been collected) since the first read.
      const record = await this.state.loadVolume(clusterId, seen.id);
      const current = record?.operationId ? await this.state.loadOperation(clusterId, record.operationId) : undefined;
      if (!record || (record.state === 'ready' && !record.operationId) || (current && scan.isLive(current))) {
        continue;
      }
      findings.push(await this.finish(this.unrecorded(record, current !== undefined), record, repair));
      scan.handled.add(record.id);
    }
    return findings;
  }

  /** The operation a marked volume's state implies, when none is running it. */
  private unrecorded(record: VolumeRecord, recorded: boolean): OperationRecord {
    return {
      clusterId: record.clusterId,
      id: recorded ? '' : (record.operationId ?? ''),
      incarnation: '',
      kind: record.state === 'creating' ? 'create' : record.state === 'deleting' ? 'delete' : 'expand',
      owner: this.config.instanceId,
      startedAt: record.createdAt,
      state: 'pending',
      volumeId: record.id,
    };
  }

  private finish(operation: OperationRecord, record: VolumeRecord | undefined, repair: boolean): Promise<Finding> {
    switch (operation.kind) {
      case 'create':
        return this.finishCreate(operation, record, repair);
      case 'delete':
        return this.finishDelete(operation, record, repair);
      case 'expand':
        return attemptRepair(
          repair,
          'interrupted-expand',
          operation.volumeId,
          'an expand that did not finish; size taken from the quota',
          () => this.finishExpand(operation, record),
        );
    }
  }

  private finishCreate(operation: OperationRecord, record: VolumeRecord | undefined, repair: boolean) {
    const { clusterId, volumeId } = operation;
    if (record?.state === 'ready' && !record.operationId) {
      return attemptRepair(repair, 'interrupted-create', volumeId, 'created, but the result was not recorded', () =>
        this.settle(operation, 'succeeded'),
      );
    }
    return attemptRepair(
      repair,
      'interrupted-create',
      volumeId,
      'a create that did not finish; rolled back',
      async () => {
        await this.undo.discard(clusterId, volumeId, record);
        await this.settle(
          operation,
          'failed',
          'Failed to create volume: the piragua instance running it stopped before the volume was ready; nothing was created',
        );
      },
    );
  }

  private finishDelete(operation: OperationRecord, record: VolumeRecord | undefined, repair: boolean) {
    const { clusterId, volumeId } = operation;
    if (record?.state === 'ready' && !record.operationId) {
      const message =
        'Failed to delete volume: the piragua instance running it stopped before it began; nothing was deleted';
      return attemptRepair(
        repair,
        'interrupted-delete',
        volumeId,
        'a delete that stopped before it began; nothing was deleted',
        () => this.settle(operation, 'failed', message),
      );
    }
    return attemptRepair(
      repair,
      'interrupted-delete',
      volumeId,
      'a delete that did not finish; completed',
      async () => {
        await this.undo.discard(clusterId, volumeId, record);
        await this.settle(operation, 'succeeded');
      },
    );
  }

  private async finishExpand(operation: OperationRecord, record: VolumeRecord | undefined): Promise<void> {
    if (!record) {
      return this.settle(operation, 'failed', 'Failed to expand volume: the volume no longer exists');
    }
    const limit = await this.quotas.readQuota(record.clusterId, volumeDirectory(record));
    const sizeGiB = limit !== undefined && limit >= record.sizeGiB * GIB ? Math.floor(limit / GIB) : record.sizeGiB;
    await this.state.saveVolume({ ...record, operationId: undefined, sizeGiB, state: 'ready' });
    await this.undo.releaseLock(record.clusterId, record.id);
    const grew = sizeGiB > record.sizeGiB;
    await this.settle(
      operation,
      grew ? 'succeeded' : 'failed',
      grew ? undefined : 'Failed to expand volume: the piragua instance running it stopped before the quota was raised',
    );
  }

  private async settle(operation: OperationRecord, outcome: 'succeeded' | 'failed', message?: string): Promise<void> {
    if (operation.id) {
      await this.operations.settle(operation, outcome, message);
    }
  }
}
