import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class VolumeLocationDto {
  @ApiProperty({ description: 'The backend holding the directory', enum: ['gluster', 'local'] })
  backend: 'gluster' | 'local';

  @ApiProperty({
    description: 'Storage addresses of the Gluster pool; the first is the primary volfile server',
    type: [String],
  })
  glusterServers: string[];

  @ApiProperty({ description: 'The Gluster volume (the local backend: its stand-in name)', example: 'gv0' })
  glusterVolume: string;

  @ApiPropertyOptional({ description: 'Local backend only: the absolute directory on the serving host' })
  localPath?: string;

  @ApiProperty({ description: '`<id>/<name>` inside the Gluster volume' })
  path: string;
}

/** A volume in any state, as the piragua extension routes report it (not a Heketi shape). */
export class PiraguaVolumeDto {
  @ApiProperty({ description: 'Cluster (Gluster volume) id' })
  cluster: string;

  @ApiPropertyOptional({ description: 'Group owning the volume directory' })
  gid?: number;

  @ApiProperty({ example: '0d5b1e7c9a3f4e2b8c6d0a1f2e3b4c5d' })
  id: string;

  @ApiProperty({ type: VolumeLocationDto })
  location: VolumeLocationDto;

  @ApiProperty({ description: 'The Heketi volume name' })
  name: string;

  @ApiProperty({ description: 'An operation (create, expand or delete) is running on the volume' })
  operationRunning: boolean;

  @ApiPropertyOptional({ description: 'GiB (the quota); absent while another instance is still creating the volume' })
  size?: number;

  @ApiProperty({ enum: ['creating', 'ready', 'deleting'] })
  state: 'creating' | 'ready' | 'deleting';
}

export class ClusterCapacityDto {
  @ApiProperty({ description: 'Bytes still free for new quotas (capacity × overcommit − quotas promised)' })
  availableBytes: number;

  @ApiProperty({ description: 'Usable size of the Gluster volume' })
  capacityBytes: number;

  @ApiProperty()
  id: string;
}

export class CapacityDto {
  @ApiProperty({ type: [ClusterCapacityDto] })
  clusters: ClusterCapacityDto[];
}
