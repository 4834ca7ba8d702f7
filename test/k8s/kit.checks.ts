import 'reflect-metadata';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { AppConfig } from '../../src/config/app-config.js';
import { envNames, loadEnv } from '../../src/config/env.js';
import { CSI_PLUGIN_NAME } from '../../src/csi/csi-plugin.js';
import { validateObject } from './k8s-schema.validator.js';
import {
  containerOf,
  envValue,
  flag,
  imageName,
  type LoadedKit,
  objectsOf,
  piraguaContainers,
  podTemplates,
  socketPath,
  volumeAt,
} from './kit.loader.js';
import { rbacProblems } from './rbac.check.js';
import { storageClassProblems } from './storage-class.check.js';

export interface KitCheck {
  name: string;
  run(kit: LoadedKit): string[];
}

const PLUGIN_DIR = `/var/lib/kubelet/plugins/${CSI_PLUGIN_NAME}`;
/** The variables piragua reads. */
const KNOWN_ENV = envNames();
const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** Each sidecar that dials the CSI socket reaches the one the plugin listens on, through one shared volume. */
function socketProblems(pod: string, spec: V1PodSpec, piragua: V1Container): string[] {
  const socket = socketPath(envValue(piragua, 'PIRAGUA_CSI_ENDPOINT'));
  if (socket === undefined) {
    return [`${pod}: piragua has no unix:// PIRAGUA_CSI_ENDPOINT`];
  }
  const shared = volumeAt(spec, piragua, dirname(socket));
  const problems = shared === undefined ? [`${pod}: piragua mounts nothing at ${dirname(socket)}`] : [];
  for (const container of spec.containers.filter((each) => each !== piragua)) {
    const address = flag(container, 'csi-address');
    if (address !== socket) {
      problems.push(`${pod}: ${container.name} dials ${String(address)}, piragua listens on ${socket}`);
    } else if (volumeAt(spec, container, dirname(socket))?.name !== shared?.name) {
      problems.push(`${pod}: ${container.name} does not mount piragua's socket volume at ${dirname(socket)}`);
    }
  }
  return problems;
}

/** `--http-endpoint=127.0.0.1:9808` / `:9808` / `--health-port=9808` → host and port. */
function healthEndpoint(container: V1Container): { host: string; port: number } | undefined {
  const endpoint = flag(container, 'http-endpoint');
  if (endpoint !== undefined) {
    const at = endpoint.lastIndexOf(':');
    return { host: endpoint.slice(0, at), port: Number(endpoint.slice(at + 1)) };
  }
  const port = flag(container, 'health-port');
  return port === undefined ? undefined : { host: '', port: Number(port) };
}

function probeTarget(container: V1Container): { host: string; path: string; port: number } | undefined {
  const get = container.livenessProbe?.httpGet;
  if (get === undefined) {
    return undefined;
  }
  const named = container.ports?.find((port) => port.name === get.port)?.containerPort;
  const port = typeof get.port === 'number' ? get.port : (named ?? Number(get.port));
  return { host: get.host ?? '', path: get.path ?? '/', port };
}

export const KIT_CHECKS: KitCheck[] = [
  { name: 'every manifest parses as YAML objects', run: (kit) => kit.parseProblems },
  {
    name: 'every object is valid for its kind (Kubernetes API schema)',
    run: (kit) => kit.objects.flatMap(({ file, object }) => validateObject(object, `${file}: `)),
  },
  {
    name: 'kustomization lists every manifest, pins every image once, the manifests name none with a tag',
    run: (kit) => {
      const problems: string[] = [];
      const resources = (kit.kustomization.resources ?? []) as string[];
      const files = [...new Set(kit.objects.map(({ file }) => file))];
      problems.push(...files.filter((file) => !resources.includes(file)).map((file) => `${file} not in resources`));
      problems.push(...resources.filter((file) => !files.includes(file)).map((file) => `resource ${file} missing`));
      const pinned = (kit.kustomization.images ?? []) as { name: string; newTag?: string }[];
      const used = podTemplates(kit).flatMap(({ spec }) => spec.containers.map((container) => container.image ?? ''));
      for (const image of new Set(used)) {
        const entries = pinned.filter((entry) => entry.name === image);
        if (/[:@]/.test(image.split('/').at(-1)!)) {
          problems.push(`${image}: a tag or digest in a manifest (pin it in kustomization.yaml)`);
        } else if (entries.length !== 1 || !entries[0].newTag || entries[0].newTag === 'latest') {
          problems.push(`${image}: needs exactly one images entry with a fixed newTag, has ${entries.length}`);
        }
      }
      problems.push(...pinned.filter((entry) => !used.includes(entry.name)).map((entry) => `${entry.name}: unused`));
      const own = pinned.find((entry) => entry.name === 'piragua');
      if (own?.newTag !== packageVersion) {
        problems.push(`piragua image tag ${String(own?.newTag)} is not package.json's version ${packageVersion}`);
      }
      return problems;
    },
  },
  {
    name: "namespaced objects live in the kit's namespace, which admits privileged pods",
    run: (kit) => {
      const [namespace, ...more] = objectsOf(kit, 'Namespace');
      if (namespace === undefined || more.length > 0) {
        return [`expected one Namespace, found ${more.length + (namespace ? 1 : 0)}`];
      }
      const name = namespace.metadata.name as string;
      const problems = kit.objects
        .filter(({ object }) => object.metadata.namespace !== undefined && object.metadata.namespace !== name)
        .map(({ file, object }) => `${file}: ${object.kind} in ${String(object.metadata.namespace)}, not ${name}`);
      if (namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'privileged') {
        problems.push(`${name}: Pod Security would refuse the privileged node plugin`);
      }
      return problems;
    },
  },
  {
    name: 'CSIDriver: the plugin name, no attach, pod info, persistent volumes only, an fsGroupPolicy',
    run: (kit) => {
      const drivers = objectsOf(kit, 'CSIDriver');
      const spec = drivers[0]?.spec ?? {};
      return [
        drivers.length === 1 && drivers[0].metadata.name === CSI_PLUGIN_NAME
          ? ''
          : `CSIDriver must be one, named ${CSI_PLUGIN_NAME}`,
        spec.attachRequired === false ? '' : 'attachRequired must be false (no ControllerPublishVolume)',
        spec.podInfoOnMount === true ? '' : 'podInfoOnMount must be true',
        JSON.stringify(spec.volumeLifecycleModes) === '["Persistent"]'
          ? ''
          : 'volumeLifecycleModes must be [Persistent]',
        typeof spec.fsGroupPolicy === 'string' ? '' : 'fsGroupPolicy must be chosen',
      ].filter(Boolean);
    },
  },
  {
    name: 'controller and node: every sidecar dials the socket piragua listens on, through one shared volume',
    run: (kit) => {
      const plugins = piraguaContainers(kit);
      const modes = plugins.map(({ mode }) => mode).sort();
      const problems = JSON.stringify(modes) === '["controller","node"]' ? [] : [`piragua modes ${modes.join(',')}`];
      for (const { pod, spec, piragua, mode } of plugins) {
        problems.push(...socketProblems(pod, spec, piragua));
        const volume = volumeAt(spec, piragua, dirname(socketPath(envValue(piragua, 'PIRAGUA_CSI_ENDPOINT')) ?? ''));
        if (mode === 'controller' && volume?.emptyDir === undefined) {
          problems.push(`${pod}: the controller's socket belongs in an emptyDir`);
        }
        if (mode === 'node' && volume?.hostPath?.path !== PLUGIN_DIR) {
          problems.push(`${pod}: the node socket's directory must be the host's ${PLUGIN_DIR}`);
        }
      }
      return problems;
    },
  },
  {
    name: "node-driver-registrar registers the socket's host path, through kubelet's plugins_registry",
    run: (kit) => {
      const node = piraguaContainers(kit).find(({ mode }) => mode === 'node');
      const registrar = node && containerOf(node.spec, 'csi-node-driver-registrar');
      if (node === undefined || registrar === undefined) {
        return ['no node pod with node-driver-registrar'];
      }
      const socket = socketPath(envValue(node.piragua, 'PIRAGUA_CSI_ENDPOINT')) ?? '';
      const hostDir = volumeAt(node.spec, node.piragua, dirname(socket))?.hostPath?.path;
      const expected = `${String(hostDir)}/${socket.slice(socket.lastIndexOf('/') + 1)}`;
      const problems: string[] = [];
      if (flag(registrar, 'kubelet-registration-path') !== expected) {
        problems.push(
          `--kubelet-registration-path ${String(flag(registrar, 'kubelet-registration-path'))}, not ${expected}`,
        );
      }
      if (volumeAt(node.spec, registrar, '/registration')?.hostPath?.path !== '/var/lib/kubelet/plugins_registry') {
        problems.push('the registrar needs the host /var/lib/kubelet/plugins_registry at /registration');
      }
      return problems;
    },
  },
  {
    name: 'node plugin: privileged, host network, kubelet pods dir Bidirectional, /dev/fuse, state on the host, node id, OnDelete',
    run: (kit) => {
      const node = piraguaContainers(kit).find(({ mode }) => mode === 'node');
      if (node === undefined) {
        return ['no node plugin'];
      }
      const { piragua, spec } = node;
      const pods = piragua.volumeMounts?.find((mount) => mount.mountPath === '/var/lib/kubelet/pods');
      const stateDir = envValue(piragua, 'PIRAGUA_CSI_STATE_DIR') ?? '/var/lib/piragua/csi';
      const nodeId = piragua.env?.find((each) => each.name === 'PIRAGUA_CSI_NODE_ID')?.valueFrom?.fieldRef?.fieldPath;
      return [
        piragua.securityContext?.privileged === true ? '' : 'not privileged',
        piragua.securityContext?.allowPrivilegeEscalation === false
          ? 'privileged with allowPrivilegeEscalation false'
          : '',
        spec.hostNetwork === true ? '' : 'not on the host network',
        spec.dnsPolicy === 'ClusterFirstWithHostNet' ? '' : 'host network wants dnsPolicy ClusterFirstWithHostNet',
        volumeAt(spec, piragua, '/var/lib/kubelet/pods')?.hostPath?.path === '/var/lib/kubelet/pods' &&
        pods?.mountPropagation === 'Bidirectional'
          ? ''
          : "kubelet's /var/lib/kubelet/pods must be mounted at the same path, Bidirectional",
        volumeAt(spec, piragua, '/dev/fuse')?.hostPath?.type === 'CharDevice'
          ? ''
          : '/dev/fuse (CharDevice) not mounted',
        volumeAt(spec, piragua, stateDir)?.hostPath === undefined ? `state dir ${stateDir} is not a hostPath` : '',
        nodeId === 'spec.nodeName' ? '' : 'PIRAGUA_CSI_NODE_ID must come from spec.nodeName',
        kit.objects.some(({ object }) => object.kind === 'DaemonSet' && object.spec.updateStrategy?.type === 'OnDelete')
          ? ''
          : 'the node DaemonSet must update OnDelete (a restart breaks the mounts of running pods)',
      ].filter(Boolean);
    },
  },
  {
    name: "liveness: each livenessprobe's port is the one the plugin's probe asks, ports unique per pod",
    run: (kit) =>
      podTemplates(kit).flatMap(({ name, spec }) => {
        const problems: string[] = [];
        const piragua = containerOf(spec, 'piragua');
        const sidecar = containerOf(spec, 'livenessprobe');
        const served = sidecar && healthEndpoint(sidecar);
        const probe = piragua && probeTarget(piragua);
        if (served === undefined || probe === undefined) {
          return [`${name}: needs a livenessprobe sidecar and a liveness probe on piragua`];
        }
        if (probe.port !== served.port || probe.path !== '/healthz' || probe.host !== served.host) {
          problems.push(
            `${name}: piragua probes ${probe.host}:${probe.port}${probe.path}, livenessprobe serves ${served.host}:${served.port}/healthz`,
          );
        }
        const registrar = containerOf(spec, 'csi-node-driver-registrar');
        const own = registrar && healthEndpoint(registrar);
        if (registrar && (own === undefined || probeTarget(registrar)?.port !== own.port)) {
          problems.push(`${name}: node-driver-registrar's probe does not ask its own --http-endpoint`);
        }
        const ports = spec.containers.map(healthEndpoint).flatMap((each) => (each ? [each.port] : []));
        if (new Set(ports).size !== ports.length) {
          problems.push(`${name}: two health endpoints on one port (${ports.join(', ')})`);
        }
        return problems;
      }),
  },
  {
    name: "piragua's environment: only variables piragua reads, and they pass its own validation",
    run: (kit) =>
      piraguaContainers(kit).flatMap(({ pod, piragua }) => {
        const env: Record<string, string> = {};
        const problems: string[] = [];
        for (const variable of piragua.env ?? []) {
          if (!KNOWN_ENV.includes(variable.name)) {
            problems.push(`${pod}: ${variable.name} is no variable piragua reads`);
          }
          // Downward-API and Secret values are only known in the cluster: a valid stand-in.
          env[variable.name] = variable.value ?? (variable.valueFrom?.fieldRef ? 'node-1' : 'from-a-secret');
        }
        try {
          const vars = loadEnv(env);
          problems.push(...new AppConfig(vars).crossChecks(vars).map((problem) => `${pod}: ${problem}`));
        } catch (error) {
          problems.push(`${pod}: ${(error as Error).message}`);
        }
        return problems;
      }),
  },
  { name: 'ServiceAccounts have every verb the sidecars need (table in rbac.check.ts)', run: rbacProblems },
  {
    name: 'StorageClass: provisioner is the plugin, secrets and resturl name objects of the kit, the controller agrees',
    run: storageClassProblems,
  },
  {
    name: 'every container runs a known program (the sidecars or piragua)',
    run: (kit) =>
      podTemplates(kit).flatMap(({ name, spec }) =>
        spec.containers
          .map(imageName)
          .filter(
            (image) =>
              !['csi-provisioner', 'csi-resizer', 'livenessprobe', 'csi-node-driver-registrar', 'piragua'].includes(
                image,
              ),
          )
          .map((image) => `${name}: unknown image ${image}`),
      ),
  },
];
