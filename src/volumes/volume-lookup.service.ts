import { Injectable } from '@nestjs/common';
import { join } from 'node:path';
import { idNotFound } from '../common/piragua.error.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { ClusterTopology, GIB, volumeDirectory, VolumeRecord } from '../backends/backend.types.js';
import { CapacityDto, PiraguaVolumeDto } from './dto/piragua-volume.dto.js';
import { PlacementService } from './placement.service.js';
import { MAX_NAME_LENGTH, VOLUME_NAME } from './volume-request.rules.js';
import { VolumeIndexService } from './volume-index.service.js';

/**
 * Reads for clients that provision idempotently by name (the CSI controller): a volume by its
 * name through the name registry, one read per cluster and no scan, and in any state.
 */
@Injectable()
export class VolumeLookupService {
  constructor(
    private readonly config: AppConfig,
    private readonly topology: TopologyBackend,
    private readonly state: VolumeStateStore,
    private readonly index: VolumeIndexService,
    private readonly placement: PlacementService,
  ) {}

  async byName(name: string): Promise<PiraguaVolumeDto> {
    if (!VOLUME_NAME.test(name) || name.length > MAX_NAME_LENGTH) {
      throw idNotFound();
    }
    for (const cluster of this.topology.clusters()) {
      const id = await this.state.nameOwner(cluster.id, name);
      if (id !== undefined) {
        const record = await this.record(id);
        // A claimed name without a record: another instance is creating the volume.
        return record ? this.describe(record) : this.describe({ clusterId: cluster.id, id, name, state: 'creating' });
      }
    }
    throw idNotFound();
  }

  async byId(id: string): Promise<PiraguaVolumeDto> {
    const record = await this.record(id);
    if (!record) {
      throw idNotFound();
    }
    return this.describe(record);
  }

  async capacity(): Promise<CapacityDto> {
    const clusters = [];
    for (const cluster of this.topology.clusters()) {
      const room = Math.max(0, await this.placement.roomGiB(cluster));
      clusters.push({ availableBytes: room * GIB, capacityBytes: cluster.capacityBytes, id: cluster.id });
    }
    return { clusters };
  }

  /** A ready volume from the index (about a second behind other instances, as every read); any other state from the backend. */
  private async record(id: string): Promise<VolumeRecord | undefined> {
    return (await this.index.visible(id)) ?? (await this.index.fresh(id));
  }

  private describe(
    record: Pick<VolumeRecord, 'clusterId' | 'directory' | 'gid' | 'id' | 'name' | 'operationId' | 'state'> &
      Partial<Pick<VolumeRecord, 'sizeGiB'>>,
  ): PiraguaVolumeDto {
    const cluster: ClusterTopology | undefined = this.topology.clusters().find((one) => one.id === record.clusterId);
    const path = `${volumeDirectory(record)}/${record.name}`;
    const local = this.config.backend === 'local';
    return {
      cluster: record.clusterId,
      ...(record.gid ? { gid: record.gid } : {}),
      id: record.id,
      location: {
        backend: this.config.backend,
        glusterServers: cluster?.nodes.map((node) => node.storageAddress) ?? [],
        glusterVolume: cluster?.volumeName ?? '',
        ...(local ? { localPath: join(this.config.local.dataDir, this.config.local.volumeName, path) } : {}),
        path,
      },
      name: record.name,
      operationRunning: record.operationId !== undefined || record.state === 'creating',
      ...(record.sizeGiB !== undefined && record.state !== 'creating' ? { size: record.sizeGiB } : {}),
      state: record.state,
    };
  }
}
