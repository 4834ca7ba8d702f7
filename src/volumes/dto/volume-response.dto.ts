import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ClusterTopology, volumeDirectory, VolumeRecord } from '../../backends/backend.types.js';
import { DurabilityDto, SnapshotDto } from './create-volume.dto.js';

export class GlusterMountDto {
  @ApiProperty({ description: '`<first host>:<gluster volume>/<id>/<name>`, directly deep-mountable' })
  device: string;

  @ApiProperty({ description: 'Storage address of every node of the Gluster pool', type: [String] })
  hosts: string[];

  @ApiProperty({
    description: '`backup-volfile-servers`: the other hosts, comma-separated',
    example: { 'backup-volfile-servers': '10.0.0.2,10.0.0.3' },
  })
  options: Record<string, string>;
}

export class MountDto {
  @ApiProperty({ type: GlusterMountDto })
  glusterfs: GlusterMountDto;
}

/** Heketi's VolumeInfoResponse; keys in Heketi's encoding order. */
export class VolumeResponseDto {
  @ApiProperty({ description: 'Size in GiB: the directory quota', example: 1 })
  size: number;

  @ApiProperty({
    description: 'What Kubernetes mounts: `<gluster volume>/<id>/<name>`',
    example: 'gv0/0d5b1e7c9a3f4e2b8c6d0a1f2e3b4c5d/vol_0d5b1e7c9a3f4e2b8c6d0a1f2e3b4c5d',
  })
  name: string;

  @ApiProperty({ type: DurabilityDto, description: 'As requested (type defaulted to none)' })
  durability: DurabilityDto;

  @ApiPropertyOptional({ description: 'Group owning the volume directory' })
  gid?: number;

  @ApiPropertyOptional({ type: [String] })
  glustervolumeoptions?: string[];

  @ApiProperty({ type: SnapshotDto })
  snapshot: SnapshotDto;

  @ApiProperty({ example: '0d5b1e7c9a3f4e2b8c6d0a1f2e3b4c5d' })
  id: string;

  @ApiProperty({ description: 'Id of the cluster (Gluster volume) holding it' })
  cluster: string;

  @ApiProperty({ type: MountDto })
  mount: MountDto;

  @ApiProperty({ description: 'Always empty: piragua has no block volumes', example: {} })
  blockinfo: Record<string, never>;

  @ApiProperty({
    description: 'Always empty: a piragua volume is a directory, not a set of bricks',
    type: [Object],
    example: [],
  })
  bricks: never[];
}

export class VolumeListResponseDto {
  @ApiProperty({ description: 'Volume ids, sorted; volumes being created or deleted are left out', type: [String] })
  volumes: readonly string[];
}

/** Mount hosts are recomputed from the cluster's current nodes on every read, as Heketi does. */
export function mapVolume(record: VolumeRecord, cluster: ClusterTopology | undefined): VolumeResponseDto {
  const hosts = cluster?.nodes.map((node) => node.storageAddress) ?? [];
  const name = `${cluster?.volumeName ?? ''}/${volumeDirectory(record)}/${record.name}`;
  return {
    size: record.sizeGiB,
    name,
    durability: record.durability,
    ...(record.gid ? { gid: record.gid } : {}),
    ...(record.glusterVolumeOptions?.length ? { glustervolumeoptions: record.glusterVolumeOptions } : {}),
    snapshot: record.snapshot,
    id: record.id,
    cluster: record.clusterId,
    mount: {
      glusterfs: {
        hosts,
        device: `${hosts[0] ?? ''}:${name}`,
        options: { 'backup-volfile-servers': hosts.slice(1).join(',') },
      },
    },
    blockinfo: {},
    bricks: [],
  };
}
