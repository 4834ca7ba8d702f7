import type { Heartbeat, OperationRecord, VolumeRecord } from '../backend.types.js';

export interface InspectedDirectory {
  createdAt: string;
  gid: number;
  name: string;
}

/**
 * What piragua keeps on each cluster's volume so that every instance agrees: volume and operation
 * records, name reservations, locks, heartbeats, the change feed, the volume directories, the trash
 * and the warm pool's directories. Every call reaches storage.
 */
export abstract class VolumeStateStore {
  /** Atomically reserves a volume name within a cluster; false if another volume holds it. */
  abstract claimName(clusterId: string, name: string, volumeId: string): Promise<boolean>;
  abstract releaseName(clusterId: string, name: string, volumeId: string): Promise<void>;
  /** The volume holding a name, one read (no scan); undefined when none does. */
  abstract nameOwner(clusterId: string, name: string): Promise<string | undefined>;
  /** Every name reservation: name -> volume id. */
  abstract loadNames(clusterId: string): Promise<Map<string, string>>;

  /** The per-volume change lock shared by all instances; false while another operation holds it. */
  abstract lockVolume(clusterId: string, volumeId: string, operationId: string): Promise<boolean>;
  abstract unlockVolume(clusterId: string, volumeId: string, operationId: string): Promise<void>;
  abstract volumeLockHolder(clusterId: string, volumeId: string): Promise<string | undefined>;
  /** Every held lock: volume id -> operation id. */
  abstract loadLocks(clusterId: string): Promise<Map<string, string>>;

  abstract saveHeartbeat(clusterId: string, heartbeat: Heartbeat): Promise<void>;
  abstract loadHeartbeats(clusterId: string): Promise<Heartbeat[]>;

  /** Top-level volume directories (ids, or legacy dashed uuids), with or without a record. */
  abstract listVolumeDirectories(clusterId: string): Promise<string[]>;
  /** The volume directory below a top-level directory, its group and age; for adoption. */
  abstract inspectVolumeDirectory(clusterId: string, directory: string): Promise<InspectedDirectory | undefined>;
  /** Makes `<id>/` (unless `pooled`: claimed from the pool) and `<id>/<name>/`, group gid, mode 2775. */
  abstract createVolumeDirectory(
    clusterId: string,
    volumeId: string,
    name: string,
    gid?: number,
    pooled?: boolean,
  ): Promise<void>;
  /** Takes a top-level directory out of the namespace at once, its quota with it; a missing one is fine. */
  abstract trashVolumeDirectory(clusterId: string, directory: string): Promise<void>;
  /** What is waiting in the trash, as paths from the volume root (for their quotas). */
  abstract trashEntries(clusterId: string): Promise<string[]>;
  /** Deletes one trashed tree; its quota must be gone first. */
  abstract deleteTrashEntry(clusterId: string, path: string): Promise<void>;

  /** Starts a warm-pool directory for `owner`; returns its path from the volume root, for the quota. */
  abstract beginPooledDirectory(clusterId: string, owner: string): Promise<string>;
  /** Puts a begun directory, its quota set and checked, into the pool of that size. */
  abstract finishPooledDirectory(clusterId: string, path: string, sizeGiB: number): Promise<void>;
  /** Trashes a begun directory, with whatever quota it got. */
  abstract discardPooledDirectory(clusterId: string, path: string): Promise<void>;
  /** Renames one pooled directory of `sizeGiB` to `<volumeId>/`, its quota included; false when none is left. */
  abstract claimPooledDirectory(clusterId: string, sizeGiB: number, volumeId: string): Promise<boolean>;
  /** Ready pooled directories by size in GiB. */
  abstract pooledDirectoryCounts(clusterId: string): Promise<Map<number, number>>;
  /** Trashes the pooled directories `owner` began and did not finish; returns how many. */
  abstract discardUnfinishedPooledDirectories(clusterId: string, owner: string): Promise<number>;

  abstract saveVolume(record: VolumeRecord): Promise<void>;
  abstract loadVolume(clusterId: string, volumeId: string): Promise<VolumeRecord | undefined>;
  abstract removeVolume(clusterId: string, volumeId: string): Promise<void>;
  abstract loadVolumes(clusterId: string): Promise<VolumeRecord[]>;
  /** Every saveVolume/removeVolume is announced as `<ms>-<volume id>`, oldest first. */
  abstract volumeChanges(clusterId: string): Promise<string[]>;
  abstract pruneVolumeChanges(clusterId: string, maxAgeMs: number): Promise<void>;

  abstract saveOperation(record: OperationRecord): Promise<void>;
  abstract loadOperation(clusterId: string, operationId: string): Promise<OperationRecord | undefined>;
  abstract removeOperation(clusterId: string, operationId: string): Promise<void>;
  abstract loadOperations(clusterId: string): Promise<OperationRecord[]>;
}
