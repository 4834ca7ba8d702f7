/** One Gluster volume as piragua presents it: a Heketi "cluster". */
export interface ClusterTopology {
  /** Stable id: the Gluster volume-id without dashes (local backend: one kept in the data dir). */
  id: string;
  /** Sum of the bricks' usable sizes, the capacity quotas are placed against. */
  capacityBytes: number;
  nodes: NodeTopology[];
  /** The Gluster volume's name, the first segment of every volume path Kubernetes mounts. */
  volumeName: string;
  /** What Gluster reports (Distribute, Replicate, Disperse...), or `local` for the local backend. */
  volumeType: string;
}

export interface NodeTopology {
  id: string;
  devices: DeviceTopology[];
  manageHostname: string;
  state: 'online' | 'offline';
  /** Always an IP address: Kubernetes refuses anything else in an Endpoints object. */
  storageAddress: string;
}

/** A brick of the Gluster volume (local backend: the data directory's file system). */
export interface DeviceTopology {
  id: string;
  name: string;
  state: 'online' | 'offline';
  freeKiB: number;
  totalKiB: number;
  usedKiB: number;
}

export interface Durability {
  disperse?: { data?: number; redundancy?: number };
  replicate?: { replica?: number };
  type: 'none' | 'replicate' | 'disperse';
}

export type VolumeState = 'creating' | 'ready' | 'deleting';

/** What piragua keeps beside each volume directory on the backend; the index is rebuilt from these. */
export interface VolumeRecord {
  clusterId: string;
  createdAt: string;
  /** The top-level directory when it is not the id: volumes adopted from the Rust piragua keep their dashed uuid. */
  directory?: string;
  durability: Durability;
  gid?: number;
  glusterVolumeOptions?: string[];
  id: string;
  name: string;
  /** The operation currently changing this volume, if any; one at a time. */
  operationId?: string;
  sizeGiB: number;
  snapshot: { enable: boolean; factor: number };
  state: VolumeState;
}

/** An instance's sign of life on each served volume, rewritten every few seconds. */
export interface Heartbeat {
  heartbeatAt: string;
  /** Random per process start: an operation of an earlier incarnation died with it. */
  incarnation: string;
  instanceId: string;
  pid: number;
  startedAt: string;
}

/** The volume's top-level directory, the path its quota is set on and Kubernetes mounts below. */
export function volumeDirectory(record: Pick<VolumeRecord, 'directory' | 'id'>): string {
  return record.directory ?? record.id;
}

export type OperationKind = 'create' | 'expand' | 'delete';

/** An async operation as `/queue/{id}` reports it; kept on the backend so any instance can answer. */
export interface OperationRecord {
  clusterId: string;
  finishedAt?: string;
  id: string;
  /** The owner's incarnation that started it; a restarted owner has another one. */
  incarnation: string;
  kind: OperationKind;
  /** Failure text shown to the client, worded like Heketi's. */
  message?: string;
  /** The instance running it (PIRAGUA_INSTANCE_ID); a restarted instance knows its own unfinished ones died. */
  owner: string;
  /** The JWT issuer that asked for it (`admin` or `user`), for the audit log. */
  requestedBy?: string;
  startedAt: string;
  state: 'pending' | 'succeeded' | 'failed';
  volumeId: string;
}

export interface QuotaUsage {
  limitBytes: number;
  /** As Gluster's `sl_exceeded`: usage is past the soft limit (the volume's default-soft-limit, 80 % unless set); unknown on the local backend. */
  softLimitExceeded?: boolean;
  usedBytes?: number;
}

export interface ProbeResult {
  details?: Record<string, unknown>;
  ok: boolean;
  problem?: string;
}

export const GIB = 1024 ** 3;

/** The name of a volume's top-level directory: its id, 32 hex digits. */
export const VOLUME_DIRECTORY = /^[0-9a-f]{32}$/;
/** How the Rust piragua named a volume's top-level directory. */
export const LEGACY_DIRECTORY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
