import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { GIB } from '../backends/backend.types.js';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { TRASH_FILLED, TrashFilled } from '../backends/state/volume-state.events.js';
import { PeriodicTask } from '../common/periodic-task.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { OPERATION_ENDED, OperationEnded } from '../operations/operation.events.js';
import { WARM_POOL_COUNTED, WarmPoolCounted } from './warm-pool.events.js';

/**
 * Keeps PIRAGUA_WARM_POOL's pre-made quota directories ready on every cluster, so that a create of
 * a pooled size renames one instead of waiting on `gluster volume quota limit-usage`. Refills one
 * directory at a time after creates and on every refresh interval; the pool lives on the volume,
 * so instances share it (together they may keep a few more than asked).
 */
@Injectable()
export class WarmPoolService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WarmPoolService.name);
  private refilling?: Promise<void>;
  private again = false;
  private timer?: PeriodicTask;

  constructor(
    private readonly config: AppConfig,
    private readonly events: EventEmitter2,
    private readonly topology: TopologyBackend,
    private readonly quotas: QuotaBackend,
    private readonly state: VolumeStateStore,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.warmPool.size === 0) {
      return;
    }
    void this.discardUnfinished().then(() => this.refill());
    this.timer = new PeriodicTask(this.config.refreshIntervalMs, () => this.refill()).start();
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  /** A create may have taken a pooled directory. */
  @OnEvent(OPERATION_ENDED)
  onOperationEnded({ record }: OperationEnded): void {
    if (record.kind === 'create' && this.config.warmPool.size > 0) {
      void this.refill();
    }
  }

  /** One refill at a time; asked for while one runs, another follows it. */
  refill(): Promise<void> {
    if (this.refilling) {
      this.again = true;
      return this.refilling;
    }
    this.refilling = (async () => {
      do {
        this.again = false;
        for (const cluster of this.topology.clusters()) {
          await this.refillCluster(cluster.id, cluster.volumeName);
        }
      } while (this.again);
    })().finally(() => (this.refilling = undefined));
    return this.refilling;
  }

  private async refillCluster(clusterId: string, volumeName: string): Promise<void> {
    try {
      const counts = await this.state.pooledDirectoryCounts(clusterId);
      this.events.emit(WARM_POOL_COUNTED, new WarmPoolCounted(clusterId, counts));
      for (const [sizeGiB, wanted] of this.config.warmPool) {
        for (let ready = counts.get(sizeGiB) ?? 0; ready < wanted; ready += 1) {
          this.topology.assertCanProvision(clusterId);
          await this.addPooledDirectory(clusterId, sizeGiB);
          counts.set(sizeGiB, ready + 1);
          this.events.emit(WARM_POOL_COUNTED, new WarmPoolCounted(clusterId, counts));
        }
      }
    } catch (error) {
      this.logger.warn(`Cannot refill the warm pool on ${volumeName}: ${(error as Error).message}`);
      this.events.emit(TRASH_FILLED, new TrashFilled(clusterId));
    }
  }

  /** One pooled directory, its quota set and read back; a failure leaves only trash behind. */
  private async addPooledDirectory(clusterId: string, sizeGiB: number): Promise<void> {
    const path = await this.state.beginPooledDirectory(clusterId, this.config.instanceId);
    try {
      await this.quotas.setQuota(clusterId, path, sizeGiB * GIB);
      const limit = await this.quotas.readQuota(clusterId, path);
      if (limit !== sizeGiB * GIB) {
        throw new Error(
          `the quota of a pooled directory reads back as ${limit ?? 'missing'} instead of ${sizeGiB * GIB} bytes`,
        );
      }
      await this.state.finishPooledDirectory(clusterId, path, sizeGiB);
    } catch (error) {
      // With whatever quota it got: the purge removes both.
      await this.state.discardPooledDirectory(clusterId, path).catch(() => undefined);
      throw error;
    }
  }

  /** What this instance was making when it last stopped goes into the trash, quotas included. */
  private async discardUnfinished(): Promise<void> {
    for (const cluster of this.topology.clusters()) {
      try {
        if ((await this.state.discardUnfinishedPooledDirectories(cluster.id, this.config.instanceId)) > 0) {
          this.events.emit(TRASH_FILLED, new TrashFilled(cluster.id));
        }
      } catch (error) {
        this.logger.warn(
          `Cannot clear unfinished pool directories on ${cluster.volumeName}: ${(error as Error).message}`,
        );
      }
    }
  }
}
