import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomBytes } from 'node:crypto';
import { PeriodicTask } from '../common/periodic-task.js';
import { ErrorCode, idNotFound, PiraguaError } from '../common/piragua.error.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import type { OperationKind, OperationRecord } from '../backends/backend.types.js';
import { OPERATION_ENDED, OperationEnded } from './operation.events.js';

/** What `GET /queue/{id}` answers. */
export type QueueStatus =
  { state: 'pending' } | { state: 'done'; location?: string } | { state: 'failed'; message: string };

/** What `start` runs: `prepare` while the client waits (its failure is the answer), then `work` in the background with what `prepare` returned. */
export interface OperationPlan<T> {
  clusterId: string;
  kind: OperationKind;
  /** Given when the volume's record already names the operation. */
  operationId?: string;
  prepare: () => Promise<T>;
  /** The JWT issuer, for the audit log. */
  requestedBy?: string;
  volumeId: string;
  work: (prepared: T) => Promise<void>;
}

/** A finished operation nobody polled is forgotten after this long. */
const UNCLAIMED_RESULT_TTL_MS = 60 * 60 * 1000;

export function newId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Heketi's async queue. Each operation is recorded on the backend before its 202 is sent, so any
 * instance can answer a poll for it; results are delivered once and then removed.
 */
@Injectable()
export class OperationsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OperationsService.name);
  private readonly running = new Map<string, OperationRecord>();
  private timer?: PeriodicTask;

  constructor(
    private readonly config: AppConfig,
    private readonly events: EventEmitter2,
    private readonly topology: TopologyBackend,
    private readonly state: VolumeStateStore,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = new PeriodicTask(this.config.refreshIntervalMs, () => this.forgetUnclaimed()).start();
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** True when this process is running the operation right now. */
  isRunningHere(operationId: string): boolean {
    return this.running.get(operationId)?.state === 'pending';
  }

  /** Records how an operation this instance can no longer run ended, for the client still polling it. */
  async settle(record: OperationRecord, outcome: 'succeeded' | 'failed', message?: string): Promise<void> {
    await this.state.saveOperation({ ...record, finishedAt: new Date().toISOString(), message, state: outcome });
  }

  /** Refuses new work beyond the configured limit: Heketi's 429, with a Retry-After its clients honour. */
  assertCapacity(): void {
    if (this.running.size >= this.config.maxInflightOperations) {
      throw new PiraguaError(ErrorCode.Busy, 'Server busy. Retry operation later.', 5);
    }
  }

  /**
   * Records the operation, runs `prepare` (reservations and locks), then `work` in the background.
   * Recording first means a reservation never exists without the operation that explains it.
   * `work` throws a PiraguaError whose message is what the client sees; anything else is reported
   * generically and logged.
   */
  async start<T>({
    clusterId,
    kind,
    operationId,
    prepare,
    requestedBy,
    volumeId,
    work,
  }: OperationPlan<T>): Promise<string> {
    this.assertCapacity();
    const record: OperationRecord = {
      clusterId,
      id: operationId ?? newId(),
      incarnation: this.config.incarnation,
      kind,
      owner: this.config.instanceId,
      requestedBy,
      startedAt: new Date().toISOString(),
      state: 'pending',
      volumeId,
    };
    this.running.set(record.id, record);
    let prepared: T;
    try {
      await this.state.saveOperation(record);
      prepared = await prepare();
    } catch (error) {
      this.running.delete(record.id);
      await this.state.removeOperation(clusterId, record.id).catch((cleanup: unknown) => {
        this.logger.error(`Cannot remove the record of operation ${record.id}: ${(cleanup as Error).message}`);
      });
      throw error;
    }
    void this.run(record, () => work(prepared));
    return record.id;
  }

  async status(operationId: string): Promise<QueueStatus> {
    const record = this.running.get(operationId) ?? (await this.find(operationId));
    if (!record) {
      throw idNotFound();
    }
    if (record.state === 'pending') {
      return { state: 'pending' };
    }
    this.running.delete(record.id);
    await this.state.removeOperation(record.clusterId, record.id);
    if (record.state === 'failed') {
      return { message: record.message ?? 'operation failed', state: 'failed' };
    }
    return { location: record.kind === 'delete' ? undefined : `/volumes/${record.volumeId}`, state: 'done' };
  }

  private async run(record: OperationRecord, work: () => Promise<void>): Promise<void> {
    const started = Date.now();
    const finished: OperationRecord = { ...record, state: 'succeeded' };
    try {
      await work();
    } catch (error) {
      finished.state = 'failed';
      finished.message = error instanceof PiraguaError ? error.message : 'Internal error, see the piragua log';
      if (!(error instanceof PiraguaError)) {
        this.logger.error(`Operation ${record.id} (${record.kind} ${record.volumeId}) failed`, (error as Error).stack);
      }
    }
    finished.finishedAt = new Date().toISOString();
    // The audit line (AuditService) reports it at info level; this one is for tracing.
    this.logger.debug(
      `Operation ${record.id}: ${record.kind} ${record.volumeId} ${finished.state} in ${Date.now() - started} ms`,
    );
    this.events.emit(OPERATION_ENDED, new OperationEnded(finished, Date.now() - started));
    // Polls keep seeing "pending" until the result is on the backend, so no instance can consume it early.
    try {
      await this.state.saveOperation(finished);
      this.running.delete(record.id);
    } catch (error) {
      // Kept in memory so that at least this instance can still answer the client's polls.
      this.logger.error(`Cannot record the result of operation ${record.id}: ${(error as Error).message}`);
      this.running.set(record.id, finished);
    }
  }

  private async find(operationId: string): Promise<OperationRecord | undefined> {
    for (const cluster of this.topology.clusters()) {
      const record = await this.state.loadOperation(cluster.id, operationId);
      if (record) {
        return record;
      }
    }
    return undefined;
  }

  private async forgetUnclaimed(): Promise<void> {
    const cutoff = Date.now() - UNCLAIMED_RESULT_TTL_MS;
    for (const cluster of this.topology.clusters()) {
      try {
        for (const record of await this.state.loadOperations(cluster.id)) {
          if (record.finishedAt && Date.parse(record.finishedAt) < cutoff) {
            await this.state.removeOperation(cluster.id, record.id);
          }
        }
      } catch (error) {
        this.logger.warn(`Cannot sweep finished operations on ${cluster.volumeName}: ${(error as Error).message}`);
      }
    }
  }
}
