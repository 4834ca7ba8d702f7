import { Injectable } from '@nestjs/common';
import { lstat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { GlusterCli } from '../../gluster/gluster-cli.js';
import type { QuotaLimit } from '../../gluster/gluster.types.js';
import type { QuotaUsage } from '../backend.types.js';
import { GlusterTopology } from '../topology/gluster.topology.js';
import { DEFAULT_SOFT_LIMIT_PERCENT, type DirectorySpace, readDirectoryQuotas } from './directory-quotas.js';
import { KeyedBatcher } from './keyed-batcher.js';
import { QuotaBackend } from './quota.port.js';

const SOFT_LIMIT_OPTION = 'features.default-soft-limit';

/** Gluster directory quotas: set and removed through the gluster CLI, read through the mount where it can. */
@Injectable()
export class GlusterQuotas extends QuotaBackend {
  /** Per cluster: concurrent read-backs share one `quota list` call. */
  private readonly quotaReads = new Map<string, KeyedBatcher<QuotaLimit>>();

  constructor(
    private readonly cli: GlusterCli,
    private readonly topology: GlusterTopology,
  ) {
    super();
  }

  async setQuota(clusterId: string, path: string, limitBytes: number): Promise<void> {
    await this.cli.setQuotaLimit(this.topology.volumeInfo(clusterId).name, `/${path}`, limitBytes);
  }

  /**
   * With features.quota-deem-statfs on (Gluster's default), statfs on a limited directory answers
   * its limit at once, through every mount: one FUSE round trip instead of a `quota list`. A
   * directory that shows the whole volume has no limit or the option is off: `quota list` decides.
   */
  async readQuota(clusterId: string, path: string): Promise<number | undefined> {
    const root = this.topology.volumeRoot(clusterId);
    const [inside, whole] = await Promise.all([statfs(join(root, path)).catch(() => undefined), statfs(root)]);
    if (inside && inside.blocks * inside.bsize !== whole.blocks * whole.bsize) {
      return inside.blocks * inside.bsize;
    }
    return (await this.reads(clusterId).get(`/${path}`))?.hardLimitBytes;
  }

  /** gluster addresses a limit through its directory; without one there is no limit left to remove. */
  async removeQuota(clusterId: string, path: string): Promise<void> {
    const exists = await lstat(join(this.topology.volumeRoot(clusterId), path)).then(
      () => true,
      (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
    );
    if (exists) {
      await this.cli.removeQuotaLimit(this.topology.volumeInfo(clusterId).name, `/${path}`);
    }
  }

  async quotaUsage(clusterId: string, directories: string[]): Promise<Map<string, QuotaUsage>> {
    return this.directoryQuotas(clusterId, directories, true);
  }

  async directoryLimits(clusterId: string, directories: string[]): Promise<Map<string, number>> {
    const quotas = await this.directoryQuotas(clusterId, directories, false);
    return new Map([...quotas].map(([directory, quota]) => [directory, quota.limitBytes]));
  }

  async quotaLimits(clusterId: string): Promise<Map<string, number>> {
    const limits = await this.cli.quotaList(this.topology.volumeInfo(clusterId).name);
    return new Map(limits.map((limit) => [limit.path.slice(1), limit.hardLimitBytes]));
  }

  private async directoryQuotas(
    clusterId: string,
    directories: string[],
    usage: boolean,
  ): Promise<Map<string, QuotaUsage>> {
    const root = this.topology.volumeRoot(clusterId);
    const space = async (directory: string): Promise<DirectorySpace> => {
      const fs = await statfs(join(root, directory));
      return { sizeBytes: fs.blocks * fs.bsize, usedBytes: (fs.blocks - fs.bfree) * fs.bsize };
    };
    const whole = await statfs(root);
    const softLimitPercent = Number.parseFloat(this.topology.volumeInfo(clusterId).options[SOFT_LIMIT_OPTION] ?? '');
    const reads = this.reads(clusterId);
    return readDirectoryQuotas(
      directories,
      {
        // Through the read-back batcher: at most 100 paths per call, shared with creates confirming their limits.
        list: async (paths) =>
          (await Promise.all(paths.map((path) => reads.get(path)))).filter((limit) => limit !== undefined),
        softLimitPercent: Number.isFinite(softLimitPercent) ? softLimitPercent : DEFAULT_SOFT_LIMIT_PERCENT,
        space,
        wholeVolumeBytes: whole.blocks * whole.bsize,
      },
      usage,
    );
  }

  private reads(clusterId: string): KeyedBatcher<QuotaLimit> {
    let reads = this.quotaReads.get(clusterId);
    if (!reads) {
      const volume = this.topology.volumeInfo(clusterId).name;
      reads = new KeyedBatcher<QuotaLimit>(
        async (paths) => new Map((await this.cli.quotaList(volume, paths)).map((limit) => [limit.path, limit])),
      );
      this.quotaReads.set(clusterId, reads);
    }
    return reads;
  }
}
