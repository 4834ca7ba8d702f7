/** Heketi's VolumeInfoResponse, the parts a client of piragua reads. */
export interface HeketiVolumeInfo {
  cluster: string;
  gid?: number;
  id: string;
  mount: { glusterfs: { device: string; hosts: string[]; options: Record<string, string> } };
  /** `<gluster volume>/<id>/<name>`. */
  name: string;
  /** GiB. */
  size: number;
}

/** Heketi's VolumeCreateRequest, the parts piragua honours. */
export interface HeketiCreateRequest {
  clusters?: string[];
  durability?: {
    type: 'none' | 'replicate' | 'disperse';
    replicate?: { replica: number };
    disperse?: { data: number; redundancy: number };
  };
  gid?: number;
  name: string;
  size: number;
}

/** Where a volume's directory is, as the piragua extension routes report it. */
export interface PiraguaVolumeLocation {
  backend: 'gluster' | 'local';
  glusterServers: string[];
  glusterVolume: string;
  /** Absolute directory on the serving host (local backend only). */
  localPath?: string;
  /** `<id>/<name>` inside the Gluster volume. */
  path: string;
}

/** The piragua extension's view of a volume, in any state (`GET /piragua/volumes/...`). */
export interface PiraguaVolume {
  cluster: string;
  gid?: number;
  id: string;
  location: PiraguaVolumeLocation;
  name: string;
  /** An operation (create, expand, delete) is running on it. */
  operationRunning: boolean;
  /** GiB; absent while another instance is still creating it. */
  size?: number;
  state: 'creating' | 'ready' | 'deleting';
}

/** Room for new quotas, per cluster (`GET /piragua/capacity`). */
export interface PiraguaCapacity {
  clusters: { availableBytes: number; capacityBytes: number; id: string }[];
}
