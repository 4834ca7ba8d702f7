import type { QuotaUsage } from '../backend.types.js';

/**
 * Directory quotas on a cluster's volume. A path is relative to the volume root, without a leading
 * '/'. A limit belongs to its directory: it moves when the directory is renamed, and must be removed
 * before the directory is deleted (Gluster keeps a deleted directory's limit otherwise).
 */
export abstract class QuotaBackend {
  abstract setQuota(clusterId: string, path: string, limitBytes: number): Promise<void>;
  /** The limit in effect on a directory; undefined when it has none or does not exist. */
  abstract readQuota(clusterId: string, path: string): Promise<number | undefined>;
  /** Removes a directory's limit; a directory without one, or gone, is fine. */
  abstract removeQuota(clusterId: string, path: string): Promise<void>;
  /** Limit and usage by top-level directory, for metrics; may read every directory's usage. */
  abstract quotaUsage(clusterId: string, directories: string[]): Promise<Map<string, QuotaUsage>>;
  /** The limits of these directories, one read each; those without one are left out. Reads no usage. */
  abstract directoryLimits(clusterId: string, directories: string[]): Promise<Map<string, number>>;
  /**
   * Every limit the backend knows, by path, also those whose directory no longer exists. On Gluster
   * one `quota list` of the whole volume, seconds at thousands of limits: only for the rare search
   * for such leftovers.
   */
  abstract quotaLimits(clusterId: string): Promise<Map<string, number>>;
}
