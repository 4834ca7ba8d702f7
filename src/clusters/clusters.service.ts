import { Injectable } from '@nestjs/common';
import { Derived } from '../common/derived.js';
import { idNotFound } from '../common/piragua.error.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { VolumeIndexService } from '../volumes/volume-index.service.js';
import {
  ClusterInfoResponseDto,
  ClusterListResponseDto,
  DeviceInfoResponseDto,
  mapCluster,
  mapDevice,
  mapNode,
  NodeInfoResponseDto,
} from './dto/topology-response.dto.js';

const NO_VOLUMES: readonly string[] = [];

/** Read-only topology: what the topology reports of the Gluster volumes, pool and bricks. */
@Injectable()
export class ClustersService {
  /** Cluster info lists every volume id: mapped (and so rendered) once per change of the topology or of those ids. */
  private readonly clusterInfo = new Derived(mapCluster);

  constructor(
    private readonly topology: TopologyBackend,
    private readonly index: VolumeIndexService,
  ) {}

  list(): ClusterListResponseDto {
    return {
      clusters: this.topology
        .clusters()
        .map((cluster) => cluster.id)
        .sort(),
    };
  }

  async info(clusterId: string): Promise<ClusterInfoResponseDto> {
    const cluster = this.topology.clusters().find((candidate) => candidate.id === clusterId);
    if (!cluster) {
      throw idNotFound();
    }
    const byCluster = await this.index.idsByCluster();
    return this.clusterInfo.of(cluster, byCluster.get(clusterId) ?? NO_VOLUMES);
  }

  /** A peer serving several Gluster volumes reports the first of them as its cluster. */
  node(nodeId: string): NodeInfoResponseDto {
    for (const cluster of this.topology.clusters()) {
      const node = cluster.nodes.find((candidate) => candidate.id === nodeId);
      if (node) {
        return mapNode(node, cluster.id);
      }
    }
    throw idNotFound();
  }

  device(deviceId: string): DeviceInfoResponseDto {
    for (const cluster of this.topology.clusters()) {
      for (const node of cluster.nodes) {
        const device = node.devices.find((candidate) => candidate.id === deviceId);
        if (device) {
          return mapDevice(device);
        }
      }
    }
    throw idNotFound();
  }
}
