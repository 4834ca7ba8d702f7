import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { mkdir, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { PeriodicTask } from '../common/periodic-task.js';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import { AppConfig } from '../config/app-config.js';
import { clusterNotFound } from './gluster.errors.js';
import type { ClusterTopology, ProbeResult, QuotaUsage } from './gluster.types.js';
import { TreeBackedGateway } from './tree-backed.gateway.js';
import { VolumeTree } from './volume-tree.js';

const QUOTA_DIR = 'local-quotas';

/** This machine's first non-loopback IPv4 address: Kubernetes needs an IP for the node. */
export function primaryAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (found) {
      return found.address;
    }
  }
  return '127.0.0.1';
}

/**
 * The embedded backend: one "Gluster volume" that is a plain directory under PIRAGUA_DATA_DIR,
 * for trying piragua without Gluster. Quotas are recorded, not enforced.
 */
@Injectable()
export class LocalGateway extends TreeBackedGateway implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LocalGateway.name);
  private readonly volumeTree: VolumeTree;
  private topology?: ClusterTopology;
  private timer?: PeriodicTask;

  constructor(private readonly config: AppConfig) {
    super();
    this.volumeTree = new VolumeTree(join(config.local.dataDir, config.local.volumeName));
  }

  async onModuleInit(): Promise<void> {
    await this.volumeTree.prepare();
    await mkdir(join(this.volumeTree.root, '.piragua', QUOTA_DIR), { recursive: true });
    const [clusterId, nodeId, deviceId] = [
      await this.volumeTree.readOrCreateId('cluster-id'),
      await this.volumeTree.readOrCreateId('node-id'),
      await this.volumeTree.readOrCreateId('device-id'),
    ];
    this.topology = {
      capacityBytes: 0,
      id: clusterId,
      nodes: [
        {
          devices: [{ freeKiB: 0, id: deviceId, name: this.volumeTree.root, state: 'online', totalKiB: 0, usedKiB: 0 }],
          id: nodeId,
          manageHostname: hostname(),
          state: 'online',
          storageAddress: primaryAddress(),
        },
      ],
      volumeName: this.config.local.volumeName,
      volumeType: 'local',
    };
    await this.refreshCapacity();
    this.timer = new PeriodicTask(this.config.refreshIntervalMs, () => this.refreshCapacity()).start();
    this.logger.log(`Local backend at ${this.volumeTree.root} (cluster ${clusterId})`);
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  clusters(): ClusterTopology[] {
    return this.topology ? [this.topology] : [];
  }

  assertCanProvision(clusterId: string): void {
    this.treeFor(clusterId);
  }

  probeNames(): string[] {
    return ['backend'];
  }

  async probe(): Promise<ProbeResult> {
    const file = join(this.volumeTree.root, '.piragua', `probe-${process.pid}`);
    try {
      await writeFile(file, 'ok');
      await rm(file);
      return { details: { path: this.volumeTree.root }, ok: true };
    } catch (error) {
      return {
        ok: false,
        problem: `data directory is not writable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      };
    }
  }

  async setQuota(clusterId: string, volumeId: string, limitBytes: number): Promise<void> {
    await this.treeFor(clusterId).writeStateFile(join(QUOTA_DIR, volumeId), String(limitBytes));
  }

  async readQuota(clusterId: string, volumeId: string): Promise<number | undefined> {
    const text = await this.treeFor(clusterId).readStateFile(join(QUOTA_DIR, volumeId));
    return text === undefined ? undefined : Number(text);
  }

  async removeQuota(clusterId: string, volumeId: string): Promise<void> {
    await this.treeFor(clusterId).removeStateFile(join(QUOTA_DIR, volumeId));
  }

  addPooledDirectory(): Promise<void> {
    return Promise.reject(new PiraguaError(ErrorCode.Failed, 'the warm pool needs the Gluster backend'));
  }

  /** Local quotas are only recorded, so the record goes with the directory at once. */
  override async trashVolumeDirectory(clusterId: string, directory: string): Promise<void> {
    await super.trashVolumeDirectory(clusterId, directory);
    await this.removeQuota(clusterId, directory);
  }

  /** Sums the files below every volume: seconds of CPU at thousands of volumes, so for metrics only. */
  async quotaUsage(clusterId: string): Promise<Map<string, QuotaUsage>> {
    const tree = this.treeFor(clusterId);
    const usage = new Map<string, QuotaUsage>();
    for (const [volumeId, limitBytes] of await this.quotaLimits(clusterId)) {
      usage.set(volumeId, { limitBytes, usedBytes: await tree.usedBytes(volumeId) });
    }
    return usage;
  }

  async directoryLimits(clusterId: string, directories: string[]): Promise<Map<string, number>> {
    const limits = new Map<string, number>();
    for (const directory of directories) {
      const limitBytes = await this.readQuota(clusterId, directory);
      if (limitBytes !== undefined) {
        limits.set(directory, limitBytes);
      }
    }
    return limits;
  }

  /** The recorded limits, whether or not their directory exists. */
  async quotaLimits(clusterId: string): Promise<Map<string, number>> {
    const tree = this.treeFor(clusterId);
    const limits = new Map<string, number>();
    for (const volumeId of await readdir(join(tree.root, '.piragua', QUOTA_DIR))) {
      const limitBytes = await this.readQuota(clusterId, volumeId);
      if (limitBytes !== undefined) {
        limits.set(volumeId, limitBytes);
      }
    }
    return limits;
  }

  protected tree(clusterId: string): VolumeTree {
    return this.treeFor(clusterId);
  }

  private treeFor(clusterId: string): VolumeTree {
    if (clusterId !== this.topology?.id) {
      throw clusterNotFound(clusterId);
    }
    return this.volumeTree;
  }

  private async refreshCapacity(): Promise<void> {
    const device = this.topology?.nodes[0]?.devices[0];
    if (!this.topology || !device) {
      return;
    }
    try {
      const fs = await statfs(this.volumeTree.root);
      device.totalKiB = Math.floor((fs.blocks * fs.bsize) / 1024);
      device.freeKiB = Math.floor((fs.bavail * fs.bsize) / 1024);
      device.usedKiB = device.totalKiB - Math.floor((fs.bfree * fs.bsize) / 1024);
      this.topology.capacityBytes = device.totalKiB * 1024;
    } catch (error) {
      this.logger.warn(`Cannot read the size of ${this.volumeTree.root}: ${(error as Error).message}`);
    }
  }
}
