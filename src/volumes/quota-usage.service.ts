import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
import { AppConfig } from '../config/app-config.js';
import { GlusterGateway } from '../gluster/gluster.gateway.js';
import type { QuotaUsage } from '../gluster/gluster.types.js';

/**
 * Quota limits and usage of every volume, read in the background (on Gluster by statfs of each
 * volume directory, every interval) so no request ever waits on the backend for them.
 */
@Injectable()
export class QuotaUsageService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QuotaUsageService.name);
  private snapshot = new Map<string, QuotaUsage>();
  private refreshedAt?: Date;
  private timer?: PeriodicTask;

  constructor(
    private readonly config: AppConfig,
    private readonly gateway: GlusterGateway,
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

  async refresh(): Promise<void> {
    const next = new Map<string, QuotaUsage>();
    for (const cluster of this.gateway.clusters()) {
      try {
        for (const [volumeId, usage] of await this.gateway.quotaUsage(cluster.id)) {
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
