import { Injectable } from '@nestjs/common';
import { invalidRequest } from '../common/piragua.error.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { ClusterTopology, GIB } from '../backends/backend.types.js';
import { noClusters } from './volumes.errors.js';
import { VolumeIndexService } from './volume-index.service.js';

/** Chooses where a volume goes: the candidate cluster with the most room left for quotas. */
@Injectable()
export class PlacementService {
  constructor(
    private readonly config: AppConfig,
    private readonly topology: TopologyBackend,
    private readonly index: VolumeIndexService,
  ) {}

  /** Clusters allowed by the request (heketi's checks 9 and 10); empty means all. */
  candidates(requested: string[]): ClusterTopology[] {
    const all = this.topology.clusters();
    if (all.length === 0) {
      throw noClusters();
    }
    for (const id of requested) {
      if (!all.some((cluster) => cluster.id === id)) {
        throw invalidRequest(`Cluster id ${id} not found`);
      }
    }
    return requested.length > 0 ? all.filter((cluster) => requested.includes(cluster.id)) : all;
  }

  /** The candidate with the most unreserved GiB that still fits `sizeGiB`, or undefined when none does. */
  async choose(candidates: ClusterTopology[], sizeGiB: number): Promise<ClusterTopology | undefined> {
    let best: ClusterTopology | undefined;
    let bestRoom = -Infinity;
    for (const cluster of candidates) {
      const room = await this.roomGiB(cluster);
      if (room >= sizeGiB && room > bestRoom) {
        best = cluster;
        bestRoom = room;
      }
    }
    return best;
  }

  async fits(clusterId: string, extraGiB: number): Promise<boolean> {
    const cluster = this.topology.clusters().find((candidate) => candidate.id === clusterId);
    return cluster !== undefined && (await this.roomGiB(cluster)) >= extraGiB;
  }

  /** Capacity times the overcommit factor, minus every quota already promised on the cluster. */
  async roomGiB(cluster: ClusterTopology): Promise<number> {
    const capacityGiB = Math.floor((cluster.capacityBytes * this.config.gluster.overcommit) / GIB);
    return capacityGiB - (await this.index.reservedGiB(cluster.id));
  }
}
