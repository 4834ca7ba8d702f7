import {
  OptionalBoolean,
  OptionalInt,
  OptionalNested,
  OptionalNumber,
  OptionalString,
  OptionalStringArray,
} from '../../common/validation.js';

export class ReplicateDto {
  @OptionalInt({
    description: "Replica count; echoed back, Gluster replication is the shared volume's own",
    example: 3,
  })
  replica?: number;
}

export class DisperseDto {
  @OptionalInt({ description: 'Data bricks of a dispersed volume; echoed back', example: 4 })
  data?: number;

  @OptionalInt({ description: 'Redundancy bricks of a dispersed volume; echoed back', example: 2 })
  redundancy?: number;
}

export class DurabilityDto {
  @OptionalNested(() => DisperseDto, { description: 'Used when type is disperse' })
  disperse?: DisperseDto;

  @OptionalNested(() => ReplicateDto, { description: 'Used when type is replicate' })
  replicate?: ReplicateDto;

  /** Heketi's durability; piragua validates and echoes it, the shared Gluster volume decides the real layout. */
  @OptionalString({ description: '`none`, `replicate` or `disperse`; empty means none', example: 'replicate' })
  type?: string;
}

export class SnapshotDto {
  @OptionalBoolean({ description: 'Kubernetes always sends true; accepted and echoed', example: true })
  enable?: boolean;

  @OptionalNumber({ description: 'Thin-pool sizing factor in Heketi, 1 to 100 when enabled; echoed', example: 1 })
  factor?: number;
}

/** Heketi's VolumeCreateRequest, as Kubernetes and heketi-cli send it. */
export class CreateVolumeDto {
  @OptionalBoolean({ description: 'Block-hosting volumes are not supported by piragua (501)' })
  block?: boolean;

  @OptionalStringArray({ description: 'Cluster ids (Gluster volume ids) the volume may be placed on; empty means any' })
  clusters?: string[];

  @OptionalNested(() => DurabilityDto, { description: 'Requested durability, echoed in responses' })
  durability?: DurabilityDto;

  @OptionalInt({ description: 'Group that owns the volume directory (mode 2775, setgid)', example: 2001 })
  gid?: number;

  @OptionalStringArray({
    description: 'Gluster volume options; they cannot apply to a directory, so they are logged and echoed',
  })
  glustervolumeoptions?: string[];

  @OptionalString({ description: 'Volume name, `^[a-zA-Z0-9_-]+$`; empty means `vol_<id>`', example: 'pvc_data' })
  name?: string;

  @OptionalInt({ description: 'Size in GiB (required, at least 1): the quota on the volume directory', example: 1 })
  size?: number;

  @OptionalNested(() => SnapshotDto, { description: 'Accepted and echoed' })
  snapshot?: SnapshotDto;
}
