import type { QuotaUsage } from '../backend.types.js';
import { inBatches } from '../state/in-batches.js';
import type { QuotaLimit } from '../../gluster/gluster.types.js';

/** Gluster's soft limit when `features.default-soft-limit` is not set. */
export const DEFAULT_SOFT_LIMIT_PERCENT = 80;

/** statfs of a directory through the FUSE mount, in bytes. */
export interface DirectorySpace {
  /** f_blocks × f_bsize: the directory's limit, or the whole volume's size when it has none. */
  sizeBytes: number;
  /** (f_blocks − f_bfree) × f_bsize: what the quota counts, in whole blocks, never above the limit. */
  usedBytes: number;
}

export interface QuotaSources {
  /** statfs of a directory below the volume root; rejects as fs does (ENOENT: no such directory). */
  space(directory: string): Promise<DirectorySpace>;
  /** `gluster volume quota <vol> list <paths>`: the limits among these paths (`/<directory>`). */
  list(paths: string[]): Promise<QuotaLimit[]>;
  /** The volume's `features.default-soft-limit`, the soft limit of every limit piragua sets. */
  softLimitPercent: number;
  wholeVolumeBytes: number;
}

/**
 * The limit (and usage) of each directory, read by statfs: with features.quota-deem-statfs on
 * (Gluster's default) a limited directory answers its own limit and usage in one FUSE round trip,
 * where `quota list` of the whole volume takes glusterd's time for every limit on it. `quota
 * list` is asked only about the directories statfs cannot tell: those showing the whole volume
 * (no limit, or the option off) and, for `usage`, those at their limit, where statfs stops
 * counting. Directories without a limit, or gone, are left out.
 */
export async function readDirectoryQuotas(
  directories: string[],
  sources: QuotaSources,
  usage: boolean,
): Promise<Map<string, QuotaUsage>> {
  const spaces = await inBatches(directories, (directory) =>
    sources
      .space(directory)
      .catch((error: unknown) =>
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : Promise.reject(error as Error),
      ),
  );
  const quotas = new Map<string, QuotaUsage>();
  const unclear: string[] = [];
  directories.forEach((directory, index) => {
    const space = spaces[index];
    if (!space) {
      return;
    }
    if (space.sizeBytes === sources.wholeVolumeBytes || (usage && space.usedBytes >= space.sizeBytes)) {
      unclear.push(`/${directory}`);
      return;
    }
    quotas.set(directory, {
      limitBytes: space.sizeBytes,
      // As gluster's own sl_exceeded: used strictly above the soft limit.
      softLimitExceeded: space.usedBytes > (space.sizeBytes * sources.softLimitPercent) / 100,
      usedBytes: space.usedBytes,
    });
  });
  if (unclear.length > 0) {
    for (const limit of await sources.list(unclear)) {
      quotas.set(limit.path.slice(1), {
        limitBytes: limit.hardLimitBytes,
        softLimitExceeded: limit.softLimitExceeded,
        usedBytes: limit.usedBytes,
      });
    }
  }
  return quotas;
}
