import type { V1PersistentVolume } from '@kubernetes/client-node';
import type { HeketiVolumeInfo } from '../heketi-client/heketi-api.types.js';

/** Resolves a piragua volume id; HeketiApiClient is one, a Map is another (tests). */
export interface VolumeLookup {
  getVolume(id: string): Promise<HeketiVolumeInfo | undefined>;
}

export interface MigrationOptions {
  /** The CSI driver the new PVs name (CSI_PLUGIN_NAME). */
  driver: string;
  /** The Secret with the Heketi key (data key `key`) that deletes and expansions of the new PVs use. */
  secretName: string;
  secretNamespace: string;
}

/** A PV that moves: the replacement object and what to know about it. */
export interface PvMove {
  claim?: { name: string; namespace: string };
  /** `<namespace>/<name>` of the per-claim Endpoints (and Service) the in-tree provisioner made. */
  endpoints?: string;
  name: string;
  replacement: V1PersistentVolume;
  /** The old PV's reclaim policy, which the new PV keeps. */
  reclaimPolicy: string;
  storageClassName?: string;
  volumeId: string;
  warnings: string[];
}

/** A PV left alone, and why. */
export interface PvLeft {
  name: string;
  reason: string;
}

export interface MigrationPlan {
  /** PVs whose piragua volume could not be asked about (the API failed): nothing is decided for them. */
  errors: PvLeft[];
  left: PvLeft[];
  moves: PvMove[];
}

/** Annotations the in-tree glusterfs provisioner and the PV controller write. */
export const IN_TREE = {
  createdBy: 'kubernetes.io/createdby',
  description: 'Description',
  gid: 'pv.beta.kubernetes.io/gid',
  glusterType: 'gluster.org/type',
  heketiVolumeId: 'gluster.kubernetes.io/heketi-volume-id',
  plugin: 'kubernetes.io/glusterfs',
  provisionedBy: 'pv.kubernetes.io/provisioned-by',
} as const;
