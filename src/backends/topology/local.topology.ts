import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { PeriodicTask } from '../../common/periodic-task.js';
import { AppConfig } from '../../config/app-config.js';
import { clusterNotFound } from '../backend.errors.js';
import type { ClusterTopology, ProbeResult } from '../backend.types.js';
import { TopologyBackend } from './topology.port.js';

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

/** The id kept in `file`, made on first use; written aside and linked into place, so the first writer wins. */
async function readOrCreateId(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' ? undefined : Promise.reject(error),
  );
  if (existing !== undefined) {
    return existing.trim();
  }
  const candidate = randomBytes(16).toString('hex');
  const temporary = `${file}.tmp-${candidate}`;
  await writeFile(temporary, `${candidate}\n`);
  try {
    await link(temporary, file);
    return candidate;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return (await readFile(file, 'utf8')).trim();
    }
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * The embedded backend: one "Gluster volume" that is a plain directory under PIRAGUA_DATA_DIR,
 * for trying piragua without Gluster.
 */
@Injectable()
export class LocalTopology extends TopologyBackend implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LocalTopology.name);
  private readonly root: string;
  private topology?: ClusterTopology;
  private timer?: PeriodicTask;

  constructor(private readonly config: AppConfig) {
    super();
    this.root = join(config.local.dataDir, config.local.volumeName);
  }

  async onModuleInit(): Promise<void> {
    const ids = join(this.root, '.piragua');
    await mkdir(ids, { recursive: true });
    const [clusterId, nodeId, deviceId] = [
      await readOrCreateId(join(ids, 'cluster-id')),
      await readOrCreateId(join(ids, 'node-id')),
      await readOrCreateId(join(ids, 'device-id')),
    ];
    const device = { freeKiB: 0, id: deviceId, name: this.root, state: 'online' as const, totalKiB: 0, usedKiB: 0 };
    this.topology = {
      capacityBytes: 0,
      id: clusterId,
      nodes: [
        {
          devices: [device],
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
    this.logger.log(`Local backend at ${this.root} (cluster ${clusterId})`);
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  clusters(): ClusterTopology[] {
    return this.topology ? [this.topology] : [];
  }

  assertCanProvision(clusterId: string): void {
    this.volumeRoot(clusterId);
  }

  volumeRoot(clusterId: string): string {
    if (clusterId !== this.topology?.id) {
      throw clusterNotFound(clusterId);
    }
    return this.root;
  }

  probeNames(): string[] {
    return ['backend'];
  }

  async probe(): Promise<ProbeResult> {
    const file = join(this.root, '.piragua', `probe-${process.pid}`);
    try {
      await writeFile(file, 'ok');
      await rm(file);
      return { details: { path: this.root }, ok: true };
    } catch (error) {
      return {
        ok: false,
        problem: `data directory is not writable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      };
    }
  }

  private async refreshCapacity(): Promise<void> {
    const device = this.topology?.nodes[0]?.devices[0];
    if (!this.topology || !device) {
      return;
    }
    try {
      const fs = await statfs(this.root);
      device.totalKiB = Math.floor((fs.blocks * fs.bsize) / 1024);
      device.freeKiB = Math.floor((fs.bavail * fs.bsize) / 1024);
      device.usedKiB = device.totalKiB - Math.floor((fs.bfree * fs.bsize) / 1024);
      this.topology.capacityBytes = device.totalKiB * 1024;
    } catch (error) {
      this.logger.warn(`Cannot read the size of ${this.root}: ${(error as Error).message}`);
    }
  }
}
