import { ApiProperty } from '@nestjs/swagger';
import type { ClusterTopology, DeviceTopology, NodeTopology } from '../../backends/backend.types.js';

export class ClusterListResponseDto {
  @ApiProperty({ description: 'One id per Gluster volume piragua serves', type: [String] })
  clusters: string[];
}

export class GlusterVolumeDto {
  @ApiProperty({ description: 'Name of the Gluster volume behind this cluster' })
  volume: string;

  @ApiProperty({ description: 'Its type as Gluster reports it (Distribute, Replicate, Disperse...), or `local`' })
  type: string;
}

/** Heketi's ClusterInfoResponse, plus `gluster` (ignored by Heketi's clients) naming the volume behind it. */
export class ClusterInfoResponseDto {
  @ApiProperty()
  id: string;

  @ApiProperty({ type: [String] })
  nodes: string[];

  @ApiProperty({ type: [String] })
  volumes: readonly string[];

  @ApiProperty({ description: 'Always false: no block volumes' })
  block: boolean;

  @ApiProperty({ description: 'Always true: file volumes' })
  file: boolean;

  @ApiProperty({ type: [String] })
  blockvolumes: string[];

  @ApiProperty({ type: GlusterVolumeDto })
  gluster: GlusterVolumeDto;
}

export class StorageDto {
  @ApiProperty({ description: 'KiB' })
  total: number;

  @ApiProperty({ description: 'KiB' })
  free: number;

  @ApiProperty({ description: 'KiB' })
  used: number;
}

export class DeviceInfoResponseDto {
  @ApiProperty({ description: 'The brick path' })
  name: string;

  @ApiProperty({ type: StorageDto })
  storage: StorageDto;

  @ApiProperty()
  id: string;

  @ApiProperty({ enum: ['online', 'offline'] })
  state: string;

  @ApiProperty({ description: 'Always empty: volumes are directories, not bricks', type: [Object] })
  bricks: never[];
}

export class HostnamesDto {
  @ApiProperty({ type: [String] })
  manage: string[];

  @ApiProperty({ description: 'Exactly one IP address, as Kubernetes requires', type: [String] })
  storage: string[];
}

export class NodeInfoResponseDto {
  @ApiProperty()
  zone: number;

  @ApiProperty({ type: HostnamesDto })
  hostnames: HostnamesDto;

  @ApiProperty()
  cluster: string;

  @ApiProperty()
  id: string;

  @ApiProperty({ enum: ['online', 'offline'] })
  state: string;

  @ApiProperty({ type: [DeviceInfoResponseDto] })
  devices: DeviceInfoResponseDto[];
}

export function mapDevice(device: DeviceTopology): DeviceInfoResponseDto {
  return {
    name: device.name,
    storage: { total: device.totalKiB, free: device.freeKiB, used: device.usedKiB },
    id: device.id,
    state: device.state,
    bricks: [],
  };
}

export function mapNode(node: NodeTopology, clusterId: string): NodeInfoResponseDto {
  return {
    zone: 1,
    hostnames: { manage: [node.manageHostname], storage: [node.storageAddress] },
    cluster: clusterId,
    id: node.id,
    state: node.state,
    devices: node.devices.map(mapDevice),
  };
}

export function mapCluster(cluster: ClusterTopology, volumeIds: readonly string[]): ClusterInfoResponseDto {
  return {
    id: cluster.id,
    nodes: cluster.nodes.map((node) => node.id).sort(),
    volumes: volumeIds,
    block: false,
    file: true,
    blockvolumes: [],
    gluster: { volume: cluster.volumeName, type: cluster.volumeType },
  };
}
