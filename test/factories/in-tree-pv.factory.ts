import type { V1PersistentVolume } from '@kubernetes/client-node';
import type { HeketiVolumeInfo } from '../../src/heketi-client/heketi-api.types.js';

export interface InTreePvOverrides {
  accessModes?: string[];
  claimName?: string;
  claimNamespace?: string;
  claimUid?: string;
  gid?: number;
  /** The Heketi volume name the provisioner stored as `path`: piragua's `<gluster volume>/<id>/<name>`. */
  path: string;
  phase?: string;
  reclaimPolicy?: string;
  sizeGiB?: number;
  storageClassName?: string;
  volumeId: string;
}

/**
 * A PV exactly as Kubernetes 1.25 leaves one that the in-tree kubernetes.io/glusterfs provisioner
 * made through piragua's Heketi API and the PV controller bound: the provisioner's annotations
 * (gid, createdby, gluster.org/type, Description, heketi-volume-id), a `glusterfs` source naming
 * the per-claim Endpoints `glusterfs-dynamic-<claim uid>` in the claim's namespace, `<n>Gi`
 * capacity, the claim's access modes and the class's reclaim policy and mount options; the
 * controller's provisioned-by and bound-by-controller annotations, claimRef and pv-protection.
 */
export function inTreePv(overrides: InTreePvOverrides): V1PersistentVolume {
  const claimUid = overrides.claimUid ?? '6a1e8c52-3f0b-4d5e-9a77-1c2b3d4e5f60';
  const namespace = overrides.claimNamespace ?? 'shop';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      annotations: {
        Description: 'Gluster-Internal: Dynamically provisioned PV',
        'gluster.kubernetes.io/heketi-volume-id': overrides.volumeId,
        'gluster.org/type': 'file',
        'kubernetes.io/createdby': 'heketi-dynamic-provisioner',
        'pv.beta.kubernetes.io/gid': String(overrides.gid ?? 40001),
        'pv.kubernetes.io/bound-by-controller': 'yes',
        'pv.kubernetes.io/provisioned-by': 'kubernetes.io/glusterfs',
      },
      creationTimestamp: new Date('2024-03-01T10:00:00Z'),
      finalizers: ['kubernetes.io/pv-protection'],
      name: `pvc-${claimUid}`,
      resourceVersion: '48213',
      uid: `0f0e0d0c-${claimUid.slice(9)}`,
    },
    spec: {
      accessModes: overrides.accessModes ?? ['ReadWriteMany'],
      capacity: { storage: `${overrides.sizeGiB ?? 1}Gi` },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        name: overrides.claimName ?? 'orders-db',
        namespace,
        resourceVersion: '48190',
        uid: claimUid,
      },
      glusterfs: { endpoints: `glusterfs-dynamic-${claimUid}`, endpointsNamespace: namespace, path: overrides.path },
      mountOptions: ['log-level=WARNING'],
      persistentVolumeReclaimPolicy: overrides.reclaimPolicy ?? 'Delete',
      storageClassName: overrides.storageClassName ?? 'gluster-shared',
      volumeMode: 'Filesystem',
    },
    status: { phase: overrides.phase ?? 'Bound' },
  };
}

/** Another plugin's PV (not piragua's business). */
export function nfsPv(name: string): V1PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      accessModes: ['ReadWriteMany'],
      capacity: { storage: '5Gi' },
      nfs: { path: '/exports/media', server: '10.1.0.5' },
      persistentVolumeReclaimPolicy: 'Retain',
    },
    status: { phase: 'Available' },
  };
}

/** A volume as piragua's `GET /volumes/{id}` answers it. */
export function volumeInfo(path: string, hosts: string[], gid?: number): HeketiVolumeInfo {
  const id = path.split('/')[1];
  return {
    cluster: '5f0e4c8a9b7d4e2f8a1c3b5d7e9f0a2b',
    ...(gid === undefined ? {} : { gid }),
    id,
    mount: {
      glusterfs: {
        device: `${hosts[0]}:${path}`,
        hosts,
        options: { 'backup-volfile-servers': hosts.slice(1).join(',') },
      },
    },
    name: path,
    size: 1,
  };
}
