import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Validates Kubernetes objects against the API's own models as @kubernetes/client-node generates
 * them from the OpenAPI document: every field must exist in its type (no unknown field), have
 * the type's JSON type, recursively, and every required field must be there. The group/version
 * and the scope (namespaced or not) come from the generated API classes.
 */

interface Attribute {
  baseName: string;
  format: string;
  type: string;
}
interface Model {
  getAttributeTypeMap(): Attribute[];
}

const models = k8s as unknown as Record<string, Model | undefined>;
const apis = k8s as unknown as Record<string, { prototype: Record<string, unknown> } | undefined>;
const modelsDir = join(dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')), 'gen', 'models');

/**
 * Closed sets the OpenAPI models type as plain strings (from the API reference); a typo there
 * would pass the type check and fail on the API server.
 */
const ENUMS: Record<string, readonly string[]> = {
  'V1CSIDriverSpec.fsGroupPolicy': ['None', 'File', 'ReadWriteOnceWithFSType'],
  'V1CSIDriverSpec.volumeLifecycleModes': ['Persistent', 'Ephemeral'],
  'V1Container.imagePullPolicy': ['Always', 'IfNotPresent', 'Never'],
  'V1ContainerPort.protocol': ['TCP', 'UDP', 'SCTP'],
  'DiscoveryV1EndpointPort.protocol': ['TCP', 'UDP', 'SCTP'],
  'V1EndpointSlice.addressType': ['IPv4', 'IPv6', 'FQDN'],
  'V1DaemonSetUpdateStrategy.type': ['OnDelete', 'RollingUpdate'],
  'V1DeploymentStrategy.type': ['Recreate', 'RollingUpdate'],
  'V1HostPathVolumeSource.type': [
    '',
    'DirectoryOrCreate',
    'Directory',
    'FileOrCreate',
    'File',
    'Socket',
    'CharDevice',
    'BlockDevice',
  ],
  'V1PersistentVolumeSpec.accessModes': ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'],
  'V1PersistentVolumeSpec.persistentVolumeReclaimPolicy': ['Delete', 'Retain', 'Recycle'],
  'V1PersistentVolumeSpec.volumeMode': ['Filesystem', 'Block'],
  'V1PodSpec.dnsPolicy': ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'],
  'V1ServicePort.protocol': ['TCP', 'UDP', 'SCTP'],
  'V1ServiceSpec.type': ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'],
  'V1StorageClass.reclaimPolicy': ['Delete', 'Retain'],
  'V1StorageClass.volumeBindingMode': ['Immediate', 'WaitForFirstConsumer'],
  'V1Toleration.operator': ['Exists', 'Equal'],
  'V1VolumeMount.mountPropagation': ['None', 'HostToContainer', 'Bidirectional'],
};

const requiredCache = new Map<string, Set<string>>();

/** Required fields: the generated declaration marks optional ones with `?`. */
function requiredFields(type: string): Set<string> {
  let required = requiredCache.get(type);
  if (required === undefined) {
    const declaration = readFileSync(join(modelsDir, `${type}.d.ts`), 'utf8');
    required = new Set([...declaration.matchAll(/^ {4}'([A-Za-z0-9_$]+)': /gm)].map((match) => match[1]));
    requiredCache.set(type, required);
  }
  return required;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateValue(value: unknown, type: string, format: string, path: string, problems: string[]): void {
  if (type.startsWith('Array<')) {
    if (!Array.isArray(value)) {
      problems.push(`${path}: expected a list, got ${JSON.stringify(value)}`);
      return;
    }
    value.forEach((item, index) => validateValue(item, type.slice(6, -1), format, `${path}[${index}]`, problems));
    return;
  }
  if (type.startsWith('{ [key: string]: ')) {
    if (!isPlainObject(value)) {
      problems.push(`${path}: expected a map, got ${JSON.stringify(value)}`);
      return;
    }
    const inner = type.slice('{ [key: string]: '.length, -'; }'.length);
    for (const [key, item] of Object.entries(value)) {
      validateValue(item, inner, format, `${path}.${key}`, problems);
    }
    return;
  }
  switch (type) {
    case 'string':
    case 'Date':
      if (typeof value !== 'string') {
        problems.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
      }
      return;
    case 'number':
      if (typeof value !== 'number' || (format.startsWith('int') && !Number.isInteger(value))) {
        problems.push(`${path}: expected ${format || 'a number'}, got ${JSON.stringify(value)}`);
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') {
        problems.push(`${path}: expected true or false, got ${JSON.stringify(value)}`);
      }
      return;
    case 'IntOrString':
      if (typeof value !== 'string' && !Number.isInteger(value)) {
        problems.push(`${path}: expected an integer or a string, got ${JSON.stringify(value)}`);
      }
      return;
    case 'any':
    case 'object':
      return;
    default:
      validateModel(value, type, path, problems);
  }
}

function validateModel(value: unknown, type: string, path: string, problems: string[]): void {
  const model = models[type];
  if (model?.getAttributeTypeMap === undefined) {
    problems.push(`${path}: no model ${type} in @kubernetes/client-node`);
    return;
  }
  if (!isPlainObject(value)) {
    problems.push(`${path}: expected an object (${type}), got ${JSON.stringify(value)}`);
    return;
  }
  const attributes = new Map(model.getAttributeTypeMap().map((attribute) => [attribute.baseName, attribute]));
  for (const [key, item] of Object.entries(value)) {
    const attribute = attributes.get(key);
    if (attribute === undefined) {
      problems.push(`${path}.${key}: unknown field of ${type}`);
      continue;
    }
    if (item === null || item === undefined) {
      continue;
    }
    validateValue(item, attribute.type, attribute.format, `${path}.${key}`, problems);
    const allowed = ENUMS[`${type}.${key}`];
    for (const each of allowed === undefined ? [] : Array.isArray(item) ? item : [item]) {
      if (!allowed.includes(each as string)) {
        problems.push(`${path}.${key}: ${JSON.stringify(each)} is not one of ${allowed.join(', ')}`);
      }
    }
  }
  for (const field of requiredFields(type)) {
    if (value[field] === undefined || value[field] === null) {
      problems.push(`${path}.${field}: required by ${type}`);
    }
  }
}

export interface KindInfo {
  model: string;
  namespaced: boolean;
}

/** `apps/v1` + `Deployment` → model V1Deployment, namespaced (AppsV1Api has createNamespacedDeployment). */
export function kindInfo(apiVersion: string, kind: string): KindInfo | string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  if (!version) {
    return `apiVersion ${apiVersion} has no version`;
  }
  const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
  const groupName =
    group === ''
      ? 'Core'
      : group
          .replace(/\.k8s\.io$/, '')
          .split('.')
          .map(capital)
          .join('');
  const api = apis[`${groupName}${capital(version)}Api`];
  if (api === undefined) {
    return `apiVersion ${apiVersion}: no such API group/version`;
  }
  const namespaced = typeof api.prototype[`createNamespaced${kind}`] === 'function';
  if (!namespaced && typeof api.prototype[`create${kind}`] !== 'function') {
    return `${apiVersion} has no kind ${kind}`;
  }
  return { model: `${capital(version)}${kind}`, namespaced };
}

/** Every problem of one object, `[]` when it is valid for its kind. */
export function validateObject(object: unknown, where = ''): string[] {
  if (!isPlainObject(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
    return [`${where}: not an object with apiVersion and kind`];
  }
  const info = kindInfo(object.apiVersion, object.kind);
  if (typeof info === 'string') {
    return [`${where}: ${info}`];
  }
  const problems: string[] = [];
  validateModel(object, info.model, `${where}${object.kind}`, problems);
  const metadata = isPlainObject(object.metadata) ? object.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') {
    problems.push(`${where}${object.kind}.metadata.name: missing`);
  }
  if (info.namespaced !== (typeof metadata.namespace === 'string')) {
    problems.push(
      `${where}${object.kind}/${String(metadata.name)}: ${info.namespaced ? 'namespaced, needs' : 'cluster-scoped, must not have'} metadata.namespace`,
    );
  }
  return problems;
}
