import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { GlusterGateway } from '../gluster/gluster.gateway.js';
import type { VolumeRecord } from '../gluster/gluster.types.js';

/**
 * Every volume record in memory, so reads never wait on the backend. Loaded from the backend at
 * start-up and refreshed periodically (other instances change the same volumes); a miss, or a
 * volume that looked unfinished, is read through from the backend before answering.
 */
@Injectable()
export class VolumeIndexService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(VolumeIndexService.name);
  private records = new Map<string, VolumeRecord>();
  /** Ids this instance changed while a refresh was reading the backend; their in-memory state wins. */
  private touched = new Set<string>();
  private loaded: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly gateway: GlusterGateway,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: the service answers while the index loads, reading through on misses.
    this.loaded = this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.refreshIntervalMs).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** A volume that is ready or being expanded; creating and deleting ones are hidden, as in Heketi. */
  async visible(volumeId: string): Promise<VolumeRecord | undefined> {
    const cached = this.records.get(volumeId);
    if (cached?.state === 'ready') {
      return cached;
    }
    const fresh = await this.readThrough(volumeId);
    return fresh?.state === 'ready' ? fresh : undefined;
  }

  /** A volume in any state, e.g. to tell "being deleted" from "never existed". */
  async find(volumeId: string): Promise<VolumeRecord | undefined> {
    return this.records.get(volumeId) ?? (await this.readThrough(volumeId));
  }

  async visibleIds(): Promise<string[]> {
    await this.loaded;
    return [...this.records.values()]
      .filter((record) => record.state === 'ready')
      .map((record) => record.id)
      .sort();
  }

  /** Visible volume ids per cluster, for cluster info. */
  async idsByCluster(): Promise<Map<string, string[]>> {
    const byCluster = new Map<string, string[]>();
    for (const id of await this.visibleIds()) {
      const clusterId = this.records.get(id)!.clusterId;
      byCluster.set(clusterId, [...(byCluster.get(clusterId) ?? []), id]);
    }
    return byCluster;
  }

  /** GiB promised to volumes on a cluster, counting ones still being created or deleted. */
  async reservedGiB(clusterId: string): Promise<number> {
    await this.loaded;
    let total = 0;
    for (const record of this.records.values()) {
      if (record.clusterId === clusterId) {
        total += record.sizeGiB;
      }
    }
    return total;
  }

  async nameTaken(clusterId: string, name: string): Promise<boolean> {
    await this.loaded;
    return [...this.records.values()].some((record) => record.clusterId === clusterId && record.name === name);
  }

  put(record: VolumeRecord): void {
    this.records.set(record.id, record);
    this.touched.add(record.id);
  }

  remove(volumeId: string): void {
    this.records.delete(volumeId);
    this.touched.add(volumeId);
  }

  private async readThrough(volumeId: string): Promise<VolumeRecord | undefined> {
    for (const cluster of this.gateway.clusters()) {
      const record = await this.gateway.loadVolume(cluster.id, volumeId);
      if (record) {
        this.records.set(volumeId, record);
        return record;
      }
    }
    return undefined;
  }

  async refresh(): Promise<void> {
    const started = Date.now();
    this.touched.clear();
    try {
      const fresh = new Map<string, VolumeRecord>();
      for (const cluster of this.gateway.clusters()) {
        for (const record of await this.gateway.loadVolumes(cluster.id)) {
          fresh.set(record.id, record);
        }
      }
      // Volumes this instance is creating may have no record on disk yet.
      for (const [id, record] of this.records) {
        if (!fresh.has(id) && record.state === 'creating') {
          fresh.set(id, record);
        }
      }
      for (const id of this.touched) {
        const current = this.records.get(id);
        if (current) {
          fresh.set(id, current);
        } else {
          fresh.delete(id);
        }
      }
      this.records = fresh;
      this.logger.debug(`Indexed ${fresh.size} volumes in ${Date.now() - started} ms`);
    } catch (error) {
      this.logger.error(`Volume index refresh failed: ${(error as Error).message}`);
    }
  }
}
