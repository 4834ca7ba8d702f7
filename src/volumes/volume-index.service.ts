import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import type { VolumeRecord } from '../backends/backend.types.js';

const CHANGE_POLL_MS = 1000;
/** The index is re-read in full every this many refresh intervals. */
const FULL_REFRESH_EVERY = 10;
/** Long enough for every live instance to have seen an announcement; older ones are removed. */
const CHANGE_RETENTION_MS = 5 * 60 * 1000;

/**
 * Every volume record in memory, so reads never wait on the backend. Loaded from the backend at
 * start-up and refreshed periodically (other instances change the same volumes); a miss, or a
 * volume that looked unfinished, is read through from the backend before answering.
 */
@Injectable()
export class VolumeIndexService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(VolumeIndexService.name);
  private records = new Map<string, VolumeRecord>();
  /** Change announcements already acted on, per cluster. */
  private readonly seenChanges = new Map<string, Set<string>>();
  private changeTimer?: PeriodicTask;
  /** Ids this instance changed while a refresh was reading the backend; their in-memory state wins. */
  private touched = new Set<string>();
  private loaded: Promise<void> = Promise.resolve();
  private timer?: PeriodicTask;
  /** The sorted visible ids, kept until the next change: lists are read far more often than volumes change. */
  private visibleIdsCache?: string[];
  /** Built from one `visibleIdsCache`, so it goes stale exactly when that does. */
  private idsByClusterCache?: { byCluster: Map<string, string[]>; from: readonly string[] };

  constructor(
    private readonly config: AppConfig,
    private readonly topology: TopologyBackend,
    private readonly state: VolumeStateStore,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: the service answers while the index loads, reading through on misses.
    this.loaded = this.refresh();
    // Other instances' changes arrive through the change feed within a second; the full re-read,
    // one file per volume, is only the safety net behind it.
    this.timer = new PeriodicTask(this.config.refreshIntervalMs * FULL_REFRESH_EVERY, () => this.refresh()).start();
    this.changeTimer = new PeriodicTask(CHANGE_POLL_MS, () => this.followChanges()).start();
  }

  onModuleDestroy(): void {
    this.timer?.stop();
    this.changeTimer?.stop();
  }

  /** Re-reads the volumes other instances announced as changed; one directory read per cluster. */
  async followChanges(): Promise<void> {
    for (const cluster of this.topology.clusters()) {
      try {
        const names = await this.state.volumeChanges(cluster.id);
        const seen = this.seenChanges.get(cluster.id);
        // The first read only sets the baseline: the full refresh covers what came before.
        const next = new Set(seen ? names.filter((name) => seen.has(name)) : names);
        this.seenChanges.set(cluster.id, next);
        for (const name of names.filter((candidate) => !next.has(candidate))) {
          await this.fresh(name.slice(name.indexOf('-') + 1));
          // Only now: a read that failed is tried again on the next round.
          next.add(name);
        }
        if (names.length > 0 && Date.now() - Number(names[0].split('-', 1)[0]) > CHANGE_RETENTION_MS) {
          await this.state.pruneVolumeChanges(cluster.id, CHANGE_RETENTION_MS);
        }
      } catch (error) {
        this.logger.warn(`Cannot follow volume changes on ${cluster.volumeName}: ${(error as Error).message}`);
      }
    }
  }

  /**
   * A volume that is ready or being expanded; creating and deleting ones are hidden, as in Heketi.
   * `fresh` (a client following the queue's redirect, whose operation may have finished on another
   * instance) reads the backend first; otherwise the cache is at most about a second behind.
   */
  async visible(volumeId: string, options: { fresh?: boolean } = {}): Promise<VolumeRecord | undefined> {
    const cached = this.records.get(volumeId);
    const record = cached?.state !== 'ready' || options.fresh ? await this.fresh(volumeId) : cached;
    return record?.state === 'ready' ? record : undefined;
  }

  /** The record as the backend has it now (in any state), cached on the way. */
  async fresh(volumeId: string): Promise<VolumeRecord | undefined> {
    const cached = this.records.get(volumeId);
    const clusters = this.topology.clusters();
    // The cluster a volume lives on never changes, so a known one is read first.
    clusters.sort((a, b) => Number(b.id === cached?.clusterId) - Number(a.id === cached?.clusterId));
    for (const cluster of clusters) {
      const record = await this.state.loadVolume(cluster.id, volumeId);
      if (record) {
        this.store(record);
        return record;
      }
    }
    // A volume this instance is creating has no record on the backend until it is ready.
    if (cached?.state === 'creating') {
      return cached;
    }
    if (cached) {
      this.forget(volumeId);
    }
    return undefined;
  }

  /** Sorted; callers must not change the array. */
  async visibleIds(): Promise<readonly string[]> {
    await this.loaded;
    this.visibleIdsCache ??= [...this.records.values()]
      .filter((record) => record.state === 'ready')
      .map((record) => record.id)
      .sort();
    return this.visibleIdsCache;
  }

  /** Visible volume ids per cluster, for cluster info; kept, like the list, until the next change. Callers must not change it. */
  async idsByCluster(): Promise<ReadonlyMap<string, readonly string[]>> {
    const visible = await this.visibleIds();
    if (this.idsByClusterCache?.from !== visible) {
      const byCluster = new Map<string, string[]>();
      for (const id of visible) {
        const clusterId = this.records.get(id)!.clusterId;
        const ids = byCluster.get(clusterId);
        if (ids) {
          ids.push(id);
        } else {
          byCluster.set(clusterId, [id]);
        }
      }
      this.idsByClusterCache = { byCluster, from: visible };
    }
    return this.idsByClusterCache.byCluster;
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

  put(record: VolumeRecord): void {
    this.store(record);
    this.touched.add(record.id);
  }

  remove(volumeId: string): void {
    this.forget(volumeId);
    this.touched.add(volumeId);
  }

  private store(record: VolumeRecord): void {
    if (this.records.get(record.id)?.state !== record.state) {
      this.visibleIdsCache = undefined;
    }
    this.records.set(record.id, record);
  }

  private forget(volumeId: string): void {
    if (this.records.delete(volumeId)) {
      this.visibleIdsCache = undefined;
    }
  }

  async refresh(): Promise<void> {
    const started = Date.now();
    this.touched.clear();
    try {
      const fresh = new Map<string, VolumeRecord>();
      for (const cluster of this.topology.clusters()) {
        for (const record of await this.state.loadVolumes(cluster.id)) {
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
      this.visibleIdsCache = undefined;
      this.logger.debug(`Indexed ${fresh.size} volumes in ${Date.now() - started} ms`);
    } catch (error) {
      this.logger.error(`Volume index refresh failed: ${(error as Error).message}`);
    }
  }
}
