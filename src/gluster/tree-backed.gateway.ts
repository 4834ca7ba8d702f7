import { GlusterGateway } from './gluster.gateway.js';
import type { Heartbeat, OperationRecord, VolumeRecord } from './gluster.types.js';
import type { VolumeTree } from './volume-tree.js';

/** The directory-tree half of a gateway, shared by the backends that keep volumes as directories. */
export abstract class TreeBackedGateway extends GlusterGateway {
  protected abstract tree(clusterId: string): VolumeTree;

  claimName(clusterId: string, name: string, volumeId: string): Promise<boolean> {
    return this.tree(clusterId).claimName(name, volumeId);
  }

  releaseName(clusterId: string, name: string, volumeId: string): Promise<void> {
    return this.tree(clusterId).releaseName(name, volumeId);
  }

  nameOwner(clusterId: string, name: string): Promise<string | undefined> {
    return this.tree(clusterId).nameOwner(name);
  }

  lockVolume(clusterId: string, volumeId: string, operationId: string): Promise<boolean> {
    return this.tree(clusterId).lockVolume(volumeId, operationId);
  }

  unlockVolume(clusterId: string, volumeId: string, operationId: string): Promise<void> {
    return this.tree(clusterId).unlockVolume(volumeId, operationId);
  }

  volumeLockHolder(clusterId: string, volumeId: string): Promise<string | undefined> {
    return this.tree(clusterId).volumeLockHolder(volumeId);
  }

  loadLocks(clusterId: string): Promise<Map<string, string>> {
    return this.tree(clusterId).locks();
  }

  saveHeartbeat(clusterId: string, heartbeat: Heartbeat): Promise<void> {
    return this.tree(clusterId).saveHeartbeat(heartbeat);
  }

  loadHeartbeats(clusterId: string): Promise<Heartbeat[]> {
    return this.tree(clusterId).loadHeartbeats();
  }

  loadNames(clusterId: string): Promise<Map<string, string>> {
    return this.tree(clusterId).names();
  }

  listVolumeDirectories(clusterId: string): Promise<string[]> {
    return this.tree(clusterId).volumeDirectories();
  }

  createVolumeDirectory(
    clusterId: string,
    volumeId: string,
    name: string,
    gid?: number,
    pooled?: boolean,
  ): Promise<void> {
    return this.tree(clusterId).createVolumeDirectory(volumeId, name, gid, pooled);
  }

  trashVolumeDirectory(clusterId: string, directory: string): Promise<void> {
    return this.tree(clusterId).trashVolumeDirectory(directory);
  }

  inspectVolumeDirectory(
    clusterId: string,
    directory: string,
  ): Promise<{ createdAt: string; gid: number; name: string } | undefined> {
    return this.tree(clusterId).inspectVolumeDirectory(directory);
  }

  purgeTrash(clusterId: string): Promise<number> {
    return this.tree(clusterId).purgeTrash();
  }

  saveVolume(record: VolumeRecord): Promise<void> {
    return this.tree(record.clusterId).saveVolume(record);
  }

  loadVolume(clusterId: string, volumeId: string): Promise<VolumeRecord | undefined> {
    return this.tree(clusterId).loadVolume(volumeId);
  }

  removeVolume(clusterId: string, volumeId: string): Promise<void> {
    return this.tree(clusterId).removeVolume(volumeId);
  }

  volumeChanges(clusterId: string): Promise<string[]> {
    return this.tree(clusterId).changes();
  }

  pruneVolumeChanges(clusterId: string, maxAgeMs: number): Promise<void> {
    return this.tree(clusterId).pruneChanges(maxAgeMs);
  }

  loadVolumes(clusterId: string): Promise<VolumeRecord[]> {
    return this.tree(clusterId).loadVolumes();
  }

  claimPooledDirectory(clusterId: string, sizeGiB: number, volumeId: string): Promise<boolean> {
    return this.tree(clusterId).claimPooledDirectory(sizeGiB, volumeId);
  }

  pooledDirectoryCounts(clusterId: string): Promise<Map<number, number>> {
    return this.tree(clusterId).pooledDirectoryCounts();
  }

  discardUnfinishedPooledDirectories(clusterId: string, owner: string): Promise<number> {
    return this.tree(clusterId).discardUnfinishedPooledDirectories(owner);
  }

  saveOperation(record: OperationRecord): Promise<void> {
    return this.tree(record.clusterId).saveOperation(record);
  }

  loadOperation(clusterId: string, operationId: string): Promise<OperationRecord | undefined> {
    return this.tree(clusterId).loadOperation(operationId);
  }

  removeOperation(clusterId: string, operationId: string): Promise<void> {
    return this.tree(clusterId).removeOperation(operationId);
  }

  loadOperations(clusterId: string): Promise<OperationRecord[]> {
    return this.tree(clusterId).loadOperations();
  }
}
