import type { V1PersistentVolume, V1PersistentVolumeSpec } from '@kubernetes/client-node';
import { checkMountFlags } from '../csi/node/mount-options.rules.js';
import type { HeketiVolumeInfo } from '../heketi-client/heketi-api.types.js';
import {
  IN_TREE,
  type MigrationOptions,
  type MigrationPlan,
  type PvLeft,
  type PvMove,
  type VolumeLookup,
} from './pv-migration.types.js';

/** What piragua answers as a Heketi volume name: `<gluster volume>/<32 hex id>/<name>`. */
const PIRAGUA_PATH = /^([^/\s]+)\/([0-9a-f]{32})\/([^/\s]+)$/;
/** Spec fields that are not a volume source. */
const NOT_A_SOURCE = new Set([
  'accessModes',
  'capacity',
  'claimRef',
  'mountOptions',
  'nodeAffinity',
  'persistentVolumeReclaimPolicy',
  'storageClassName',
  'volumeAttributesClassName',
  'volumeMode',
]);
/** In-tree bookkeeping that means nothing on a CSI PV (and last-applied would resurrect the old source). */
const DROPPED_ANNOTATIONS = new Set<string>([
  IN_TREE.createdBy,
  IN_TREE.description,
  IN_TREE.glusterType,
  IN_TREE.provisionedBy,
  'kubectl.kubernetes.io/last-applied-configuration',
]);

function sourceOf(spec: V1PersistentVolumeSpec): string {
  if (spec.csi) {
    return `csi (driver ${spec.csi.driver})`;
  }
  return Object.keys(spec).find((key) => !NOT_A_SOURCE.has(key)) ?? 'no volume source';
}

/** The node plugin's own rule for a PV's mountOptions: a PV it would refuse to mount stays in-tree. */
function refusedMountOption(options: string[]): string | undefined {
  try {
    checkMountFlags(options, 'glusterfs');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Why a PV is not one to move, before asking piragua; undefined when it may be. */
function precheck(pv: V1PersistentVolume, options: MigrationOptions): string | undefined {
  const spec = pv.spec ?? {};
  const phase = pv.status?.phase ?? 'unknown';
  if (spec.csi?.driver === options.driver) {
    return `already a CSI volume of ${options.driver}`;
  }
  if (!spec.glusterfs) {
    return `not a glusterfs volume: ${sourceOf(spec)}`;
  }
  if (pv.metadata?.deletionTimestamp) {
    return `being deleted since ${String(pv.metadata.deletionTimestamp)} (finalizers: ${(pv.metadata.finalizers ?? []).join(', ') || 'none'})`;
  }
  if (phase !== 'Bound' && phase !== 'Available') {
    return `phase ${phase}: only Bound and Available PVs move (a Released one has lost its claim, a Failed one its deleter)`;
  }
  if (phase === 'Bound' && !spec.claimRef?.uid) {
    return 'Bound, but its claimRef has no uid to rebind to';
  }
  if (!PIRAGUA_PATH.test(spec.glusterfs.path)) {
    return `path ${spec.glusterfs.path} is not piragua's <gluster volume>/<id>/<name>`;
  }
  const refusal = refusedMountOption(spec.mountOptions ?? []);
  if (refusal !== undefined) {
    return `${refusal}: the node plugin would not mount it (remove the option from the PV, then plan again)`;
  }
  const annotated = pv.metadata?.annotations?.[IN_TREE.heketiVolumeId];
  const id = PIRAGUA_PATH.exec(spec.glusterfs.path)![2];
  if (annotated !== undefined && annotated !== id) {
    return `annotation ${IN_TREE.heketiVolumeId} says ${annotated}, its path says ${id}`;
  }
  return undefined;
}

/** The servers a node mounts from, primary first, as piragua reports them now. */
function serversOf(info: HeketiVolumeInfo): string[] {
  const mount = info.mount.glusterfs;
  const backups = (mount.options['backup-volfile-servers'] ?? '').split(/[,:]/).filter(Boolean);
  const primary = mount.device.slice(0, mount.device.indexOf(':'));
  const servers = mount.hosts.length > 0 ? mount.hosts : [primary, ...backups];
  return [...new Set(servers.filter(Boolean))];
}

function replacementOf(pv: V1PersistentVolume, info: HeketiVolumeInfo, options: MigrationOptions): PvMove {
  const spec = pv.spec!;
  const glusterfs = spec.glusterfs!;
  const [, glusterVolume, id, name] = PIRAGUA_PATH.exec(glusterfs.path)!;
  const annotations = Object.fromEntries(
    Object.entries(pv.metadata?.annotations ?? {}).filter(([key]) => !DROPPED_ANNOTATIONS.has(key)),
  );
  const warnings: string[] = [];
  const annotatedGid = annotations[IN_TREE.gid];
  if (annotatedGid !== undefined && info.gid !== undefined && Number(annotatedGid) !== info.gid) {
    warnings.push(`gid: the PV says ${annotatedGid}, piragua ${info.gid}; the PV's is kept (pods get it)`);
  }
  const gid = annotatedGid ?? (info.gid === undefined ? undefined : String(info.gid));
  const claimRef = spec.claimRef;
  const secret = { name: options.secretName, namespace: options.secretNamespace };
  const replacement: V1PersistentVolume = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      // The claim's spec.volumeName names the PV: the same name is what lets it rebind.
      name: pv.metadata!.name!,
      ...(pv.metadata?.labels ? { labels: pv.metadata.labels } : {}),
      annotations: {
        ...annotations,
        // external-provisioner deletes (reclaim Delete) only the PVs it believes it provisioned.
        [IN_TREE.provisionedBy]: options.driver,
        'volume.kubernetes.io/provisioner-deletion-secret-name': secret.name,
        'volume.kubernetes.io/provisioner-deletion-secret-namespace': secret.namespace,
        [`${options.driver}/migrated-from`]: IN_TREE.plugin,
      },
    },
    spec: {
      accessModes: spec.accessModes,
      capacity: spec.capacity,
      ...(claimRef
        ? {
            // uid pins the claim; the old resourceVersion would be stale, and nothing needs it.
            claimRef: {
              apiVersion: claimRef.apiVersion ?? 'v1',
              kind: claimRef.kind ?? 'PersistentVolumeClaim',
              name: claimRef.name,
              namespace: claimRef.namespace,
              uid: claimRef.uid,
            },
          }
        : {}),
      csi: {
        driver: options.driver,
        volumeHandle: id,
        ...(glusterfs.readOnly ? { readOnly: true } : {}),
        volumeAttributes: {
          backend: 'gluster',
          glusterServers: serversOf(info).join(','),
          glusterVolume: glusterVolume,
          path: `${id}/${name}`,
          ...(gid === undefined ? {} : { gid }),
        },
        controllerExpandSecretRef: secret,
      },
      ...(spec.mountOptions?.length ? { mountOptions: spec.mountOptions } : {}),
      persistentVolumeReclaimPolicy: spec.persistentVolumeReclaimPolicy ?? 'Delete',
      ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
      volumeMode: spec.volumeMode ?? 'Filesystem',
    },
  };
  const endpointsNamespace = glusterfs.endpointsNamespace ?? claimRef?.namespace;
  return {
    ...(claimRef?.name && claimRef.namespace ? { claim: { name: claimRef.name, namespace: claimRef.namespace } } : {}),
    ...(endpointsNamespace ? { endpoints: `${endpointsNamespace}/${glusterfs.endpoints}` } : {}),
    name: pv.metadata!.name!,
    reclaimPolicy: replacement.spec!.persistentVolumeReclaimPolicy!,
    replacement,
    ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
    volumeId: id,
    warnings,
  };
}

/**
 * Sorts the cluster's PVs into those that move to CSI (with their replacement objects), those left
 * alone (with the reason) and those piragua could not be asked about. Changes nothing anywhere.
 */
export async function planMigration(
  pvs: V1PersistentVolume[],
  lookup: VolumeLookup,
  options: MigrationOptions,
): Promise<MigrationPlan> {
  const plan: MigrationPlan = { errors: [], left: [], moves: [] };
  const sorted = [...pvs].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const pv of sorted) {
    const name = pv.metadata?.name ?? '(no name)';
    const reason = precheck(pv, options);
    if (reason !== undefined) {
      plan.left.push({ name, reason });
      continue;
    }
    const path = pv.spec!.glusterfs!.path;
    const id = PIRAGUA_PATH.exec(path)![2];
    let info: HeketiVolumeInfo | undefined;
    try {
      info = await lookup.getVolume(id);
    } catch (error) {
      plan.errors.push({ name, reason: `asking piragua about ${id}: ${(error as Error).message}` });
      continue;
    }
    const left: PvLeft | undefined =
      info === undefined
        ? { name, reason: `piragua has no volume ${id} (deleted, or served by another piragua)` }
        : info.name !== path
          ? { name, reason: `piragua's volume ${id} is ${info.name}, the PV's path is ${path}` }
          : serversOf(info).length === 0
            ? { name, reason: `piragua reports no Gluster server for volume ${id}` }
            : undefined;
    if (left !== undefined) {
      plan.left.push(left);
    } else {
      plan.moves.push(replacementOf(pv, info!, options));
    }
  }
  return plan;
}
