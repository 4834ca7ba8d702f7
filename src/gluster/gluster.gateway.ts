import type {
  ClusterTopology,
  Heartbeat,
  OperationRecord,
  ProbeResult,
  QuotaUsage,
  VolumeRecord,
} from './gluster.types.js';

/**
 * Everything piragua does to storage: the Gluster volumes' topology and quotas, and the directory
 * tree on each mounted volume. The only seam to the outside world; services are tested with fakes
 * of it and each implementation against the real thing.
 */
export abstract class GlusterGateway {
  /** Cached topology of every configured volume; never waits on the gluster CLI. */
  abstract clusters(): ClusterTopology[];
  /** Throws a PiraguaError saying why new volumes cannot be placed on the cluster right now. */
  abstract assertCanProvision(clusterId: string): void;
  /** Names of the probes health reports, each checked separately. */
  abstract probeNames(): string[];
  abstract probe(name: string): Promise<ProbeResult>;

  /** Atomically reserves a volume name within a cluster; false if another volume holds it. */
  abstract claimName(clusterId: string, name: string, volumeId: string): Promise<boolean>;
  abstract releaseName(clusterId: string, name: string, volumeId: string): Promise<void>;
  /** The volume holding a name on a cluster, one read (no scan); undefined when none does. */
  abstract nameOwner(clusterId: string, name: string): Promise<string | undefined>;

  /** The per-volume change lock shared by all instances; false while another operation holds it. */
  abstract lockVolume(clusterId: string, volumeId: string, operationId: string): Promise<boolean>;
  abstract unlockVolume(clusterId: string, volumeId: string, operationId: string): Promise<void>;
  abstract volumeLockHolder(clusterId: string, volumeId: string): Promise<string | undefined>;
  /** Every held lock on a cluster: volume id -> operation id. */
  abstract loadLocks(clusterId: string): Promise<Map<string, string>>;

  abstract saveHeartbeat(clusterId: string, heartbeat: Heartbeat): Promise<void>;
  abstract loadHeartbeats(clusterId: string): Promise<Heartbeat[]>;

  /** Every name reservation on a cluster: name -> volume id. */
  abstract loadNames(clusterId: string): Promise<Map<string, string>>;
  /** Names of the top-level volume directories on a cluster (ids, or legacy dashed uuids), with or without a record. */
  abstract listVolumeDirectories(clusterId: string): Promise<string[]>;

  /** Makes `<id>/` (unless `pooled`: claimed from the pool) and `<id>/<name>/`, the latter group-owned by gid with mode 2775. */
  abstract createVolumeDirectory(
    clusterId: string,
    volumeId: string,
    name: string,
    gid?: number,
    pooled?: boolean,
  ): Promise<void>;
  /**
   * Takes `<id>/` out of the namespace at once, with its quota (a Gluster limit belongs to the
   * directory and moves with it); contents and quota are purged later.
   */
  abstract trashVolumeDirectory(clusterId: string, directory: string): Promise<void>;
  /** The volume directory below a legacy top-level directory and its group, for adoption. */
  abstract inspectVolumeDirectory(
    clusterId: string,
    directory: string,
  ): Promise<{ createdAt: string; gid: number; name: string } | undefined>;
  /** Deletes what earlier trash calls left, quotas first; returns how many volume trees it purged. */
  abstract purgeTrash(clusterId: string): Promise<number>;

  abstract saveVolume(record: VolumeRecord): Promise<void>;
  abstract loadVolume(clusterId: string, volumeId: string): Promise<VolumeRecord | undefined>;
  abstract removeVolume(clusterId: string, volumeId: string): Promise<void>;
  /** Every saveVolume/removeVolume is announced as `<ms>-<volume id>`, oldest first. */
  abstract volumeChanges(clusterId: string): Promise<string[]>;
  abstract pruneVolumeChanges(clusterId: string, maxAgeMs: number): Promise<void>;
  abstract loadVolumes(clusterId: string): Promise<VolumeRecord[]>;

  // Quotas and trash address a volume by its top-level directory (volumeDirectory(record)).
  abstract setQuota(clusterId: string, directory: string, limitBytes: number): Promise<void>;
  abstract readQuota(clusterId: string, directory: string): Promise<number | undefined>;
  abstract removeQuota(clusterId: string, directory: string): Promise<void>;
  /** Limit and usage by volume directory, for metrics; may read every volume's usage. */
  abstract quotaUsage(clusterId: string): Promise<Map<string, QuotaUsage>>;
  /** The limits of these directories, one read each; those without one (on Gluster: or gone) are left out. Reads no usage. */
  abstract directoryLimits(clusterId: string, directories: string[]): Promise<Map<string, number>>;
  /**
   * Every limit the backend knows, by path from the volume root without the leading '/', also those
   * whose directory no longer exists. On Gluster one `quota list` of the whole volume: seconds at
   * thousands of limits (a minute under load), so only for the rare search for such leftovers.
   */
  abstract quotaLimits(clusterId: string): Promise<Map<string, number>>;

  // The warm pool: directories made ahead with a quota, so that a create only renames one.
  /** Renames one pooled directory of `sizeGiB` to `<volumeId>/`, its quota included; false when none is left. */
  abstract claimPooledDirectory(clusterId: string, sizeGiB: number, volumeId: string): Promise<boolean>;
  /** Ready pooled directories by size in GiB. */
  abstract pooledDirectoryCounts(clusterId: string): Promise<Map<number, number>>;
  /** Makes one pooled directory, its quota set and read back; a failure leaves only trash behind. */
  abstract addPooledDirectory(clusterId: string, sizeGiB: number, owner: string): Promise<void>;
  /** Trashes the pooled directories `owner` began and did not finish; returns how many. */
  abstract discardUnfinishedPooledDirectories(clusterId: string, owner: string): Promise<number>;

  abstract saveOperation(record: OperationRecord): Promise<void>;
  abstract loadOperation(clusterId: string, operationId: string): Promise<OperationRecord | undefined>;
  abstract removeOperation(clusterId: string, operationId: string): Promise<void>;
  abstract loadOperations(clusterId: string): Promise<OperationRecord[]>;
}

/**
 * Every gateway method and whether it reaches storage (the mounted tree or the gluster CLI) or is
 * answered from memory. Abstract methods leave no trace at run time, so this is the list code can
 * iterate; the compiler insists a new method is added here.
 */
export const GATEWAY_METHODS = {
  addPooledDirectory: 'storage',
  assertCanProvision: 'memory',
  claimName: 'storage',
  claimPooledDirectory: 'storage',
  clusters: 'memory',
  createVolumeDirectory: 'storage',
  directoryLimits: 'storage',
  discardUnfinishedPooledDirectories: 'storage',
  inspectVolumeDirectory: 'storage',
  listVolumeDirectories: 'storage',
  loadHeartbeats: 'storage',
  loadLocks: 'storage',
  loadNames: 'storage',
  loadOperation: 'storage',
  loadOperations: 'storage',
  loadVolume: 'storage',
  loadVolumes: 'storage',
  lockVolume: 'storage',
  nameOwner: 'storage',
  probe: 'storage',
  pooledDirectoryCounts: 'storage',
  probeNames: 'memory',
  pruneVolumeChanges: 'storage',
  purgeTrash: 'storage',
  quotaLimits: 'storage',
  quotaUsage: 'storage',
  readQuota: 'storage',
  releaseName: 'storage',
  removeOperation: 'storage',
  removeQuota: 'storage',
  removeVolume: 'storage',
  saveHeartbeat: 'storage',
  saveOperation: 'storage',
  saveVolume: 'storage',
  setQuota: 'storage',
  trashVolumeDirectory: 'storage',
  unlockVolume: 'storage',
  volumeChanges: 'storage',
  volumeLockHolder: 'storage',
} as const satisfies Record<keyof GlusterGateway, 'memory' | 'storage'>;

export type GatewayMethod = keyof typeof GATEWAY_METHODS;
