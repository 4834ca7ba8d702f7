import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { TRASH_FILLED, TrashFilled } from '../backends/state/volume-state.events.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';

/**
 * Deletes what deletes, failed creates and the warm pool moved into the trash, in the background
 * so that no client waits on it: each tree's quota first (Gluster keeps a deleted directory's
 * limit), then the tree. One purge at a time per cluster.
 */
@Injectable()
export class TrashPurgeService implements OnApplicationBootstrap {
  private readonly logger = new Logger(TrashPurgeService.name);
  private readonly purges = new Map<string, Promise<void>>();

  constructor(
    private readonly topology: TopologyBackend,
    private readonly quotas: QuotaBackend,
    private readonly state: VolumeStateStore,
  ) {}

  /** Finishes purges a previous run was interrupted in. */
  onApplicationBootstrap(): void {
    for (const cluster of this.topology.clusters()) {
      void this.schedule(cluster.id);
    }
  }

  @OnEvent(TRASH_FILLED)
  onTrashFilled(event: TrashFilled): void {
    void this.schedule(event.clusterId);
  }

  /** Resolves when the purge it queued has run. */
  schedule(clusterId: string): Promise<void> {
    const next = (this.purges.get(clusterId) ?? Promise.resolve()).then(() => this.purgeAndLog(clusterId));
    this.purges.set(clusterId, next);
    return next;
  }

  private async purgeAndLog(clusterId: string): Promise<void> {
    try {
      const purged = await this.purge(clusterId);
      if (purged > 0) {
        this.logger.log(`Purged ${purged} deleted volume(s) on cluster ${clusterId}`);
      }
    } catch (error) {
      this.logger.error(`Purge on cluster ${clusterId} failed: ${(error as Error).message}`);
    }
  }

  private async purge(clusterId: string): Promise<number> {
    const entries = await this.state.trashEntries(clusterId);
    for (const path of entries) {
      await this.quotas.removeQuota(clusterId, path);
      await this.state.deleteTrashEntry(clusterId, path);
    }
    return entries.length;
  }
}
