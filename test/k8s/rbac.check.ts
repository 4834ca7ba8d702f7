import type { V1Container, V1PolicyRule } from '@kubernetes/client-node';
import { CSI_PLUGIN_NAME } from '../../src/csi/csi-plugin.js';
import { containerOf, flag, type LoadedKit, objectsOf, podTemplates } from './kit.loader.js';

/** One API call a sidecar makes: `namespace` is where (cluster-wide when absent), `name` the one object. */
export interface Need {
  group: string;
  name?: string;
  namespace?: string;
  resource: string;
  verbs: string[];
  why: string;
}

const READ = ['get', 'list', 'watch'];
const EVENTS: Need = {
  group: '',
  resource: 'events',
  verbs: ['list', 'watch', 'create', 'update', 'patch'],
  why: 'events on claims',
};

/** Leader election takes a Lease in --leader-election-namespace (the pod's own by default). */
function leaseNeeds(container: V1Container, podNamespace: string): Need[] {
  if (flag(container, 'leader-election') !== 'true') {
    return [];
  }
  const namespace = flag(container, 'leader-election-namespace', podNamespace) ?? podNamespace;
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'delete'];
  return [{ group: 'coordination.k8s.io', namespace, resource: 'leases', verbs, why: 'leader election' }];
}

/** The Secrets the StorageClasses of this driver name for one purpose. */
function secretNeeds(kit: LoadedKit, kind: string): Need[] {
  return objectsOf(kit, 'StorageClass')
    .filter((sc) => sc.provisioner === CSI_PLUGIN_NAME)
    .flatMap((sc) => {
      const name = sc.parameters?.[`csi.storage.k8s.io/${kind}-name`] as string | undefined;
      const namespace = sc.parameters?.[`csi.storage.k8s.io/${kind}-namespace`] as string | undefined;
      return name && namespace ? [{ group: '', name, namespace, resource: 'secrets', verbs: ['get'], why: kind }] : [];
    });
}

/**
 * What each sidecar calls on the API server, from the sidecars' documentation and source, for the
 * features this kit turns on (no snapshots' writes, no capacity tracking, no topology).
 */
export function sidecarNeeds(kit: LoadedKit, container: V1Container, namespace: string, image: string): Need[] {
  switch (image) {
    case 'csi-provisioner':
      return [
        { group: '', resource: 'persistentvolumes', verbs: [...READ, 'create', 'delete'], why: 'PV per claim' },
        { group: '', resource: 'persistentvolumes', verbs: ['patch'], why: 'its deletion-protection finalizer' },
        { group: '', resource: 'persistentvolumeclaims', verbs: [...READ, 'update'], why: 'claim annotations' },
        { group: 'storage.k8s.io', resource: 'storageclasses', verbs: READ, why: "the claim's class" },
        { group: 'storage.k8s.io', resource: 'csinodes', verbs: READ, why: 'node informer' },
        { group: '', resource: 'nodes', verbs: READ, why: 'node informer' },
        { group: 'storage.k8s.io', resource: 'volumeattachments', verbs: READ, why: 'no delete while attached' },
        { group: 'snapshot.storage.k8s.io', resource: 'volumesnapshots', verbs: ['get', 'list'], why: 'data sources' },
        EVENTS,
        ...leaseNeeds(container, namespace),
        ...secretNeeds(kit, 'provisioner-secret'),
      ];
    case 'csi-resizer':
      return [
        { group: '', resource: 'persistentvolumes', verbs: [...READ, 'patch'], why: 'new capacity' },
        { group: '', resource: 'persistentvolumeclaims', verbs: READ, why: 'resize requests' },
        { group: '', resource: 'persistentvolumeclaims/status', verbs: ['patch'], why: 'resize conditions' },
        ...(flag(container, 'handle-volume-inuse-error') === 'false'
          ? []
          : [{ group: '', resource: 'pods', verbs: READ, why: 'offline expansion: is the claim in use' }]),
        EVENTS,
        ...leaseNeeds(container, namespace),
        ...secretNeeds(kit, 'controller-expand-secret'),
      ];
    default:
      // node-driver-registrar talks to kubelet, livenessprobe to the plugin, piragua to its REST API.
      return [];
  }
}

interface Grant {
  namespace?: string;
  rule: V1PolicyRule;
}

function grantsOf(kit: LoadedKit, serviceAccount: string, namespace: string): Grant[] {
  const isSubject = (binding: Record<string, any>) =>
    ((binding.subjects ?? []) as { kind: string; name: string; namespace?: string }[]).some(
      (subject) =>
        subject.kind === 'ServiceAccount' && subject.name === serviceAccount && subject.namespace === namespace,
    );
  const rulesOf = (kind: string, name: string, roleNamespace?: string) =>
    (objectsOf(kit, kind).find(
      (role) => role.metadata.name === name && (kind === 'ClusterRole' || role.metadata.namespace === roleNamespace),
    )?.rules ?? []) as V1PolicyRule[];
  const cluster = objectsOf(kit, 'ClusterRoleBinding')
    .filter(isSubject)
    .flatMap((binding) => rulesOf('ClusterRole', binding.roleRef.name).map((rule) => ({ rule })));
  const local = objectsOf(kit, 'RoleBinding')
    .filter(isSubject)
    .flatMap((binding) =>
      rulesOf(binding.roleRef.kind, binding.roleRef.name, binding.metadata.namespace).map((rule) => ({
        namespace: binding.metadata.namespace as string,
        rule,
      })),
    );
  return [...cluster, ...local];
}

function allows(grant: Grant, need: Need, verb: string): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).includes(value) || (list ?? []).includes('*');
  return (
    (grant.namespace === undefined || grant.namespace === need.namespace) &&
    has(grant.rule.apiGroups, need.group) &&
    has(grant.rule.resources, need.resource) &&
    has(grant.rule.verbs, verb) &&
    (!grant.rule.resourceNames?.length || (need.name !== undefined && grant.rule.resourceNames.includes(need.name)))
  );
}

/** Every need of every sidecar is granted to its pod's ServiceAccount, and every binding points at something real. */
export function rbacProblems(kit: LoadedKit): string[] {
  const problems: string[] = [];
  for (const { name, namespace, spec } of podTemplates(kit)) {
    const account = spec.serviceAccountName ?? 'default';
    if (
      !objectsOf(kit, 'ServiceAccount').some(
        (sa) => sa.metadata.name === account && sa.metadata.namespace === namespace,
      )
    ) {
      problems.push(`${name}: ServiceAccount ${namespace}/${account} is not in the kit`);
    }
    const grants = grantsOf(kit, account, namespace);
    for (const image of ['csi-provisioner', 'csi-resizer', 'csi-node-driver-registrar', 'livenessprobe', 'piragua']) {
      const container = containerOf(spec, image);
      for (const need of container ? sidecarNeeds(kit, container, namespace, image) : []) {
        for (const verb of need.verbs.filter((each) => !grants.some((grant) => allows(grant, need, each)))) {
          const where = need.namespace ? ` in ${need.namespace}` : ' cluster-wide';
          problems.push(
            `${name}: ${image} needs ${verb} ${need.group || 'core'}/${need.resource}${need.name ? `/${need.name}` : ''}${where} (${need.why})`,
          );
        }
      }
    }
  }
  for (const binding of [...objectsOf(kit, 'ClusterRoleBinding'), ...objectsOf(kit, 'RoleBinding')]) {
    const ref = binding.roleRef as { kind: string; name: string };
    const role = objectsOf(kit, ref.kind).find(
      (each) =>
        each.metadata.name === ref.name &&
        (ref.kind === 'ClusterRole' || each.metadata.namespace === binding.metadata.namespace),
    );
    if (role === undefined) {
      problems.push(`${binding.kind} ${binding.metadata.name as string}: ${ref.kind} ${ref.name} is not in the kit`);
    }
  }
  return problems;
}
