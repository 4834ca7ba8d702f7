import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { lstat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEGACY_DIRECTORY, type QuotaUsage, VOLUME_DIRECTORY } from '../backend.types.js';
import { TopologyBackend } from '../topology/topology.port.js';
import { QuotaBackend } from './quota.port.js';

/** Inside the limited directory, so the limit moves and goes with it as a Gluster limit does; never a volume name (those cannot start with a dot). */
const LIMIT_FILE = '.piragua-quota';
/** Where limits were kept before they lived in their directories. */
const FORMER_LIMITS = join('.piragua', 'local-quotas');

const missingAsUndefined = (error: NodeJS.ErrnoException) =>
  error.code === 'ENOENT' || error.code === 'ENOTDIR' ? undefined : Promise.reject(error);

/** The local backend's quotas: recorded beside the data, not enforced. */
@Injectable()
export class LocalQuotas extends QuotaBackend implements OnModuleInit {
  private readonly logger = new Logger(LocalQuotas.name);

  constructor(private readonly topology: TopologyBackend) {
    super();
  }

  async onModuleInit(): Promise<void> {
    for (const cluster of this.topology.clusters()) {
      await this.moveFormerLimits(cluster.id);
    }
  }

  async setQuota(clusterId: string, path: string, limitBytes: number): Promise<void> {
    await writeFile(this.limitFile(clusterId, path), String(limitBytes));
  }

  async readQuota(clusterId: string, path: string): Promise<number | undefined> {
    const text = await readFile(this.limitFile(clusterId, path), 'utf8').catch(missingAsUndefined);
    return text === undefined ? undefined : Number(text);
  }

  async removeQuota(clusterId: string, path: string): Promise<void> {
    await rm(this.limitFile(clusterId, path), { force: true });
  }

  /** Sums the files below every directory: seconds of CPU at thousands of volumes, so for metrics only. */
  async quotaUsage(clusterId: string, directories: string[]): Promise<Map<string, QuotaUsage>> {
    const usage = new Map<string, QuotaUsage>();
    for (const [directory, limitBytes] of await this.directoryLimits(clusterId, directories)) {
      usage.set(directory, { limitBytes, usedBytes: await this.usedBytes(clusterId, directory) });
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

  /** A limit here lives in its directory, so none outlives it: the limits of the top-level directories. */
  async quotaLimits(clusterId: string): Promise<Map<string, number>> {
    const entries = await readdir(this.topology.volumeRoot(clusterId));
    return this.directoryLimits(
      clusterId,
      entries.filter((entry) => VOLUME_DIRECTORY.test(entry) || LEGACY_DIRECTORY.test(entry)),
    );
  }

  private limitFile(clusterId: string, path: string): string {
    return join(this.topology.volumeRoot(clusterId), path, LIMIT_FILE);
  }

  private async usedBytes(clusterId: string, directory: string): Promise<number> {
    let total = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          await walk(path);
        } else if (dir !== top || entry.name !== LIMIT_FILE) {
          total += (await lstat(path)).size;
        }
      }
    };
    const top = join(this.topology.volumeRoot(clusterId), directory);
    await walk(top).catch(missingAsUndefined);
    return total;
  }

  /** Data directories made before limits lived in their directories keep their sizes. */
  private async moveFormerLimits(clusterId: string): Promise<void> {
    const former = join(this.topology.volumeRoot(clusterId), FORMER_LIMITS);
    const entries = (await readdir(former).catch(missingAsUndefined)) ?? [];
    for (const directory of entries) {
      const limit = await readFile(join(former, directory), 'utf8');
      await writeFile(this.limitFile(clusterId, directory), limit).catch(missingAsUndefined);
      await rm(join(former, directory));
    }
    if (entries.length > 0) {
      this.logger.log(`Moved ${entries.length} recorded limit(s) into their volume directories`);
    }
    await rm(former, { force: true, recursive: true });
  }
}
