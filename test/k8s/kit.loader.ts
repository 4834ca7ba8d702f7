import type { V1Container, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as read from YAML (plain JSON, the API's field names). */
export type K8sObject = Record<string, any> & { apiVersion: string; kind: string; metadata: Record<string, any> };

export interface KitFile {
  name: string;
  text: string;
}

/** The kit as files: checks run on this, so a test can hand them a broken copy. */
export interface Kit {
  files: KitFile[];
}

export interface LoadedKit {
  kustomization: Record<string, any>;
  objects: { file: string; object: K8sObject }[];
  /** Files whose YAML does not parse, with the parser's message. */
  parseProblems: string[];
}

export const KIT_DIR = 'deploy/kubernetes/csi';

export function readKit(dir = KIT_DIR): Kit {
  return {
    files: readdirSync(dir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') })),
  };
}

/** A copy with one file's text changed, for the checks' own tests. */
export function withFile(kit: Kit, name: string, change: (text: string) => string): Kit {
  const file = kit.files.find((each) => each.name === name);
  if (file === undefined) {
    throw new Error(`no ${name} in the kit`);
  }
  const changed = change(file.text);
  if (changed === file.text) {
    throw new Error(`the change left ${name} as it was`);
  }
  return { files: kit.files.map((each) => (each === file ? { name, text: changed } : each)) };
}

export function loadKit(kit: Kit): LoadedKit {
  const loaded: LoadedKit = { kustomization: {}, objects: [], parseProblems: [] };
  for (const file of kit.files) {
    parseAllDocuments(file.text).forEach((document, index) => {
      if (document.errors.length > 0) {
        loaded.parseProblems.push(`${file.name}: ${document.errors.map((error) => error.message).join('; ')}`);
        return;
      }
      const object: unknown = document.toJS();
      if (file.name === 'kustomization.yaml') {
        loaded.kustomization = object as Record<string, any>;
      } else if (typeof object === 'object' && object !== null && !Array.isArray(object)) {
        loaded.objects.push({ file: file.name, object: object as K8sObject });
      } else {
        loaded.parseProblems.push(`${file.name}: document ${index + 1} is not an object`);
      }
    });
  }
  return loaded;
}

export function objectsOf(kit: LoadedKit, kind: string): K8sObject[] {
  return kit.objects.filter(({ object }) => object.kind === kind).map(({ object }) => object);
}

export function findObject(kit: LoadedKit, kind: string, name: string, namespace?: string): K8sObject | undefined {
  return objectsOf(kit, kind).find(
    (object) => object.metadata.name === name && (namespace === undefined || object.metadata.namespace === namespace),
  );
}

/** Pod templates of the Deployments and DaemonSets, with their namespace. */
export function podTemplates(kit: LoadedKit): { name: string; namespace: string; spec: V1PodSpec }[] {
  return kit.objects
    .filter(({ object }) => object.kind === 'Deployment' || object.kind === 'DaemonSet')
    .map(({ object }) => ({
      name: `${object.kind}/${object.metadata.name as string}`,
      namespace: object.metadata.namespace as string,
      spec: object.spec.template.spec as V1PodSpec,
    }));
}

/** Which program a container runs, by its image's last path segment. */
export function imageName(container: V1Container): string {
  return (container.image ?? '').split('/').at(-1)!.split(/[:@]/)[0];
}

export function containerOf(spec: V1PodSpec, image: string): V1Container | undefined {
  return spec.containers.find((container) => imageName(container) === image);
}

/**
 * A flag's value, `$(VAR)` expanded as kubelet does from the container's env: literal values, and
 * `fieldRef: metadata.namespace` when the pod's namespace is given.
 */
export function flag(container: V1Container, name: string, podNamespace?: string): string | undefined {
  const prefix = `--${name}=`;
  const arg = (container.args ?? []).find((each) => each.startsWith(prefix) || each.startsWith(prefix.slice(1)));
  if (arg === undefined) {
    return (container.args ?? []).includes(`--${name}`) ? 'true' : undefined;
  }
  const resolve = (variable: string) => {
    const entry = container.env?.find((each) => each.name === variable);
    return entry?.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? podNamespace : entry?.value;
  };
  return arg
    .slice(arg.indexOf('=') + 1)
    .replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, variable: string) => resolve(variable) ?? match);
}

export function envValue(container: V1Container, name: string): string | undefined {
  return container.env?.find((each) => each.name === name)?.value;
}

/** The pod volume mounted at exactly `path` in the container, if any. */
export function volumeAt(spec: V1PodSpec, container: V1Container, path: string): V1Volume | undefined {
  const mount = container.volumeMounts?.find((each) => each.mountPath.replace(/\/$/, '') === path);
  return mount === undefined ? undefined : spec.volumes?.find((volume) => volume.name === mount.name);
}

/** `unix:///csi/csi.sock` → `/csi/csi.sock`. */
export function socketPath(endpoint: string | undefined): string | undefined {
  return endpoint?.startsWith('unix://') ? endpoint.slice('unix://'.length) : undefined;
}

export function piraguaContainers(
  kit: LoadedKit,
): { pod: string; spec: V1PodSpec; piragua: V1Container; mode: string }[] {
  return podTemplates(kit).flatMap(({ name, spec }) => {
    const piragua = containerOf(spec, 'piragua');
    return piragua === undefined
      ? []
      : [{ pod: name, spec, piragua, mode: envValue(piragua, 'PIRAGUA_CSI_MODE') ?? '' }];
  });
}
