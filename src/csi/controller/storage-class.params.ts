import { hash } from 'node:crypto';
import type { HeketiCreateRequest } from '../../heketi-client/heketi-api.types.js';
import { invalidArgument } from '../csi.error.js';
import type { StringMap } from '../csi.types.js';

/** Where to provision: the StorageClass's REST API, or (all undefined) the controller's default. */
export interface ApiConnection {
  key?: string;
  url?: string;
  user?: string;
}

export interface ClassParameters {
  clusters: string[];
  connection: ApiConnection;
  durability?: HeketiCreateRequest['durability'];
  gidRange?: { max: number; min: number };
}

/** The in-tree provisioner's parameters that have no meaning for a directory volume; accepted so a class moves unchanged. */
const IGNORED = new Set([
  'customepnameprefix',
  'restauthenabled',
  'secretName',
  'secretNamespace',
  'snapfactor',
  'volumenameprefix',
  'volumeoptions',
]);
const KNOWN = new Set(['clusters', 'gidMax', 'gidMin', 'resturl', 'restuser', 'restuserkey', 'volumetype']);
const MAX_GID = 2147483646;
const CLUSTER_ID = /^[0-9a-f]{32}$/;

function gidParameter(parameters: StringMap, key: string): number | undefined {
  const text = parameters[key];
  if (text === undefined || text === '') {
    return undefined;
  }
  const gid = Number(text);
  if (!/^\d{1,10}$/.test(text) || gid < 1 || gid > MAX_GID) {
    throw invalidArgument(`parameter ${key} must be a group id between 1 and ${MAX_GID}`);
  }
  return gid;
}

function durabilityOf(volumetype: string | undefined): HeketiCreateRequest['durability'] {
  if (volumetype === undefined || volumetype === '' || volumetype === 'none') {
    return undefined;
  }
  const [type, first, second] = volumetype.split(':');
  if (type === 'replicate' && /^\d$/.test(first ?? '') && second === undefined) {
    return { replicate: { replica: Number(first) }, type: 'replicate' };
  }
  if (type === 'disperse' && /^\d+$/.test(first ?? '') && /^\d+$/.test(second ?? '')) {
    return { disperse: { data: Number(first), redundancy: Number(second) }, type: 'disperse' };
  }
  throw invalidArgument('parameter volumetype must be none, replicate:<n> or disperse:<data>:<redundancy>');
}

/**
 * The StorageClass parameters, named as the in-tree kubernetes.io/glusterfs provisioner named
 * them. The REST key comes from the provisioner secret (key `key`). Unknown keys are refused so
 * a misspelt parameter is not silently ignored; `csi.storage.k8s.io/` keys are Kubernetes' own.
 */
export function parseClassParameters(parameters: StringMap, secrets: StringMap): ClassParameters {
  for (const key of Object.keys(parameters)) {
    if (!KNOWN.has(key) && !IGNORED.has(key) && !key.startsWith('csi.storage.k8s.io/')) {
      throw invalidArgument(`unknown StorageClass parameter ${JSON.stringify(key.slice(0, 64))}`);
    }
  }
  const clusters = (parameters.clusters ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (clusters.some((id) => !CLUSTER_ID.test(id))) {
    throw invalidArgument('parameter clusters must be a comma-separated list of cluster ids (32 hex digits)');
  }
  const min = gidParameter(parameters, 'gidMin');
  const max = gidParameter(parameters, 'gidMax');
  if (min !== undefined && max !== undefined && min > max) {
    throw invalidArgument('parameter gidMin is more than gidMax');
  }
  const url = parameters.resturl || undefined;
  if (url !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) {
    throw invalidArgument('parameter resturl must be an http:// or https:// URL');
  }
  return {
    clusters,
    connection: connectionOf(secrets, url, parameters.restuser || undefined, parameters.restuserkey || undefined),
    durability: durabilityOf(parameters.volumetype),
    gidRange: min === undefined && max === undefined ? undefined : { max: max ?? MAX_GID, min: min ?? 2000 },
  };
}

/** The connection a request's secrets (and, for creates, its class) ask for. */
export function connectionOf(secrets: StringMap, url?: string, user?: string, plainKey?: string): ApiConnection {
  return { key: secrets.key || plainKey, url, user };
}

/**
 * The volume's group: deterministic from its name within the class's range, so a retried create
 * asks for the same gid. Two volumes may share a gid; each directory is only ever mounted for its own claim.
 */
export function gidFor(name: string, range: { max: number; min: number } | undefined): number | undefined {
  if (range === undefined) {
    return undefined;
  }
  const span = range.max - range.min + 1;
  return range.min + (parseInt(hash('sha256', name, 'hex').slice(0, 12), 16) % span);
}
