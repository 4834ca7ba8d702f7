import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { PeriodicTask } from '../common/periodic-task.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { GIB, type QuotaUsage, volumeDirectory } from '../backends/backend.types.js';
import { VOLUME_CREATED, VOLUME_EXPANDED, VolumeSized } from './volume.events.js';

/**
 * Quota limits and usage of every volume, read in the background (on Gluster by statfs of each
 * volume directory, every interval) so no request ever waits on the backend for them. A limit this
 * instance has just set (a create or an expand) is known at once, without waiting for the next read.
 */
@Injectable()
export class QuotaUsageService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QuotaUsageService.name);
  private snapshot = new Map<string, QuotaUsage>();
  private refreshedAt?: Date;
  private timer?: PeriodicTask;

  constructor(
    private readonly config: AppConfig,
    private readonly topology: TopologyBackend,
    private readonly quotas: QuotaBackend,
    private readonly state: VolumeStateStore,
  ) {}

  onApplicationBootstrap(): void {
    void this.refresh();
    this.timer = new PeriodicTask(this.config.refreshIntervalMs, () => this.refresh()).start();
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  /** Limit and used bytes by volume id, as of `refreshedAt`. */
  current(): { refreshedAt?: Date; usage: ReadonlyMap<string, QuotaUsage> } {
    return { refreshedAt: this.refreshedAt, usage: this.snapshot };
  }

  /** The limit a create or an expand set is the volume's new size; what it uses is as last read (none yet when new). */
  @OnEvent(VOLUME_CREATED)
  @OnEvent(VOLUME_EXPANDED)
  onVolumeSized({ record }: VolumeSized): void {
    const directory = volumeDirectory(record);
    const previous = this.snapshot.get(directory);
    this.snapshot.set(directory, {
      ...previous,
      limitBytes: record.sizeGiB * GIB,
      usedBytes: previous?.usedBytes ?? 0,
    });
  }

  async refresh(): Promise<void> {
    const next = new Map<string, QuotaUsage>();
    for (const cluster of this.topology.clusters()) {
      try {
        for (const [volumeId, usage] of await this.quotas.quotaUsage(
          cluster.id,
          await this.state.listVolumeDirectories(cluster.id),
        )) {
          next.set(volumeId, usage);
        }
      } catch (error) {
        this.logger.warn(`Cannot read quota usage of ${cluster.volumeName}: ${(error as Error).message}`);
        return;
      }
    }
    this.snapshot = next;
    this.refreshedAt = new Date();
  }
}
