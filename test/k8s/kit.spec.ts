import { describe, expect, it } from 'vitest';
import { KIT_CHECKS } from './kit.checks.js';
import { type Kit, loadKit, readKit, withFile } from './kit.loader.js';

const kit = readKit();

function problemsOf(check: string, broken: Kit): string[] {
  const found = KIT_CHECKS.filter((each) => each.name.startsWith(check));
  expect(found).toHaveLength(1);
  return found[0].run(loadKit(broken));
}

describe('deploy/kubernetes/csi', () => {
  it('has the manifests the kit is made of', () => {
    expect(kit.files.map((file) => file.name)).toContain('kustomization.yaml');
    expect(loadKit(kit).objects.length).toBeGreaterThan(15);
  });

  it.each(KIT_CHECKS.map((check) => [check.name, check] as const))('%s', (_name, check) => {
    expect(check.run(loadKit(kit))).toEqual([]);
  });
});

/** Each check, on a copy of the kit broken where that check looks: it must say so. */
const BROKEN: [check: string, file: string, from: string, to: string, expected: RegExp][] = [
  ['every manifest parses', 'secret.yaml', "key: '<", 'key: [<', /secret\.yaml/],
  ['every object is valid', 'node.yaml', 'mountPropagation: Bidirectional', 'mountPropagation: Both', /not one of/],
  ['every object is valid', 'csidriver.yaml', 'attachRequired: false', "attachRequired: 'false'", /true or false/],
  ['every object is valid', 'controller.yaml', 'readOnlyRootFilesystem', 'readOnlyRootFileSystem', /unknown field/],
  ['every object is valid', 'rbac-node.yaml', 'automountServiceAccountToken: false', 'automount: false', /unknown/],
  [
    'every object is valid',
    'rbac-controller.yaml',
    '  kind: ClusterRole\n  name: piragua-csi-resizer',
    '  name: piragua-csi-resizer',
    /roleRef\.kind: required/,
  ],
  [
    'every object is valid',
    'csidriver.yaml',
    '  name: piragua.gluster.org',
    '  name: piragua.gluster.org\n  namespace: x',
    /cluster-scoped/,
  ],
  ['every object is valid', 'heketi-service.yaml', 'port: 8080 #', "port: '8080' #", /expected int32/],
  ['kustomization', 'kustomization.yaml', '  - storageclass.yaml\n', '', /storageclass\.yaml not in resources/],
  [
    'kustomization',
    'controller.yaml',
    'sig-storage/livenessprobe\n',
    'sig-storage/livenessprobe:v2.19.0\n',
    /a tag or digest/,
  ],
  ['kustomization', 'kustomization.yaml', 'newTag: 0.1.0', 'newTag: 0.0.9', /package\.json/],
  ['kustomization', 'kustomization.yaml', 'newTag: v1.14.0', 'newTag: latest', /fixed newTag/],
  ['namespaced objects', 'secret.yaml', 'namespace: piragua-csi', 'namespace: default', /Secret in default/],
  ['namespaced objects', 'namespace.yaml', 'enforce: privileged', 'enforce: baseline', /Pod Security/],
  [
    'CSIDriver',
    'csidriver.yaml',
    'name: piragua.gluster.org',
    'name: piragua.gluster.io',
    /named piragua\.gluster\.org/,
  ],
  ['CSIDriver', 'csidriver.yaml', 'attachRequired: false', 'attachRequired: true', /attachRequired/],
  ['CSIDriver', 'csidriver.yaml', 'podInfoOnMount: true', 'podInfoOnMount: false', /podInfoOnMount/],
  [
    'controller and node',
    'controller.yaml',
    'value: /csi/csi.sock',
    'value: /csi/provisioner.sock',
    /csi-provisioner dials/,
  ],
  [
    'controller and node',
    'node.yaml',
    '- --csi-address=/csi/csi.sock\n            - --probe',
    '- --csi-address=/plugin/csi.sock\n            - --probe',
    /liveness-probe dials/,
  ],
  [
    'controller and node',
    'node.yaml',
    'path: /var/lib/kubelet/plugins/piragua.gluster.org',
    'path: /var/lib/kubelet/plugins/piragua',
    /host's/,
  ],
  ['controller and node', 'controller.yaml', 'emptyDir: {}', 'hostPath: { path: /tmp/csi }', /emptyDir/],
  [
    'node-driver-registrar',
    'node.yaml',
    'piragua.gluster.org/csi.sock',
    'piragua.gluster.org/registrar.sock',
    /kubelet-registration-path/,
  ],
  ['node-driver-registrar', 'node.yaml', 'mountPath: /registration', 'mountPath: /registry', /plugins_registry/],
  ['node plugin', 'node.yaml', 'privileged: true', 'privileged: false', /not privileged/],
  ['node plugin', 'node.yaml', 'hostNetwork: true', 'hostNetwork: false', /host network/],
  ['node plugin', 'node.yaml', '              mountPropagation: Bidirectional\n', '', /Bidirectional/],
  ['node plugin', 'node.yaml', 'type: CharDevice', 'type: File', /dev\/fuse/],
  ['node plugin', 'node.yaml', 'type: OnDelete', 'type: RollingUpdate', /OnDelete/],
  ['node plugin', 'node.yaml', 'value: /var/lib/piragua/csi', 'value: /var/lib/piragua/state', /state dir/],
  ['node plugin', 'node.yaml', 'fieldPath: spec.nodeName', 'fieldPath: metadata.name', /spec\.nodeName/],
  ["piragua's environment", 'node.yaml', 'value: node\n', 'value: nodes\n', /PIRAGUA_CSI_MODE/],
  [
    "piragua's environment",
    'node.yaml',
    'name: PIRAGUA_CSI_STATE_DIR',
    'name: PIRAGUA_CSI_STATE',
    /PIRAGUA_CSI_STATE is no variable/,
  ],
  [
    "piragua's environment",
    'node.yaml',
    '- name: PIRAGUA_CSI_MODE',
    '- name: PIRAGUA_BACKEND\n              value: gluster\n            - name: PIRAGUA_CSI_MODE',
    /PIRAGUA_GLUSTER_VOLUMES: required/,
  ],
  [
    "piragua's environment",
    'controller.yaml',
    'value: http://piragua-heketi',
    'value: piragua-heketi',
    /PIRAGUA_HEKETI_URL must be/,
  ],
  ['liveness', 'controller.yaml', '--http-endpoint=:9808', '--http-endpoint=:9809', /serves :9809/],
  [
    'liveness',
    'node.yaml',
    'port: 29631\n            initialDelaySeconds: 10\n            periodSeconds: 20\n            timeoutSeconds: 5\n            failureThreshold',
    'port: 29630\n            initialDelaySeconds: 10\n            periodSeconds: 20\n            timeoutSeconds: 5\n            failureThreshold',
    /probes 127\.0\.0\.1:29630/,
  ],
  [
    'liveness',
    'node.yaml',
    '--http-endpoint=127.0.0.1:29632',
    '--http-endpoint=127.0.0.1:29631',
    /own --http-endpoint|one port/,
  ],
  [
    'ServiceAccounts',
    'rbac-controller.yaml',
    "['get', 'list', 'watch', 'create', 'patch', 'delete']",
    "['get', 'list', 'watch', 'patch', 'delete']",
    /csi-provisioner needs create core\/persistentvolumes/,
  ],
  [
    'ServiceAccounts',
    'rbac-controller.yaml',
    "'create', 'update', 'patch', 'delete']",
    "'create', 'patch', 'delete']",
    /needs update coordination\.k8s\.io\/leases in piragua-csi/,
  ],
  [
    'ServiceAccounts',
    'rbac-controller.yaml',
    "resourceNames: ['piragua-heketi']",
    "resourceNames: ['piragua-admin']",
    /needs get core\/secrets\/piragua-heketi/,
  ],
  [
    'ServiceAccounts',
    'controller.yaml',
    '            - --handle-volume-inuse-error=false\n',
    '',
    /csi-resizer needs get core\/pods/,
  ],
  [
    'ServiceAccounts',
    'rbac-controller.yaml',
    "resources: ['persistentvolumeclaims/status']",
    "resources: ['persistentvolumeclaims']",
    /persistentvolumeclaims\/status/,
  ],
  [
    'ServiceAccounts',
    'controller.yaml',
    'serviceAccountName: piragua-csi-controller',
    'serviceAccountName: piragua-csi',
    /not in the kit/,
  ],
  [
    'StorageClass',
    'storageclass.yaml',
    'provisioner: piragua.gluster.org',
    'provisioner: kubernetes.io/glusterfs',
    /provisioner kubernetes\.io/,
  ],
  [
    'StorageClass',
    'storageclass.yaml',
    'provisioner-secret-name: piragua-heketi',
    'provisioner-secret-name: piragua-admin',
    /no Secret of the kit/,
  ],
  [
    'StorageClass',
    'storageclass.yaml',
    'piragua-heketi.piragua-csi.svc:8080',
    'piragua.piragua-csi.svc:8080',
    /resturl/,
  ],
  ['StorageClass', 'storageclass.yaml', 'restuser: admin', 'restuser: user', /PIRAGUA_HEKETI_URL\/USER\/KEY/],
  [
    'StorageClass',
    'storageclass.yaml',
    "gidMax: '50000'",
    "gidMax: '50000'\n  volumetype: none",
    /unknown parameter volumetype/,
  ],
  ['StorageClass', 'heketi-service.yaml', '  - name: heketi # must', '  - name: http # must', /no EndpointSlice/],
  [
    'every container runs',
    'node.yaml',
    'image: registry.k8s.io/sig-storage/livenessprobe',
    'image: busybox',
    /unknown image busybox/,
  ],
];

describe('each check on a broken copy', () => {
  it.each(BROKEN)('%s: %s %s → %s', (check, file, from, to, expected) => {
    const problems = problemsOf(
      check,
      withFile(kit, file, (text) => text.replace(from, to)),
    );
    expect(problems.join('\n')).toMatch(expected);
  });

  it('covers every check', () => {
    for (const check of KIT_CHECKS) {
      expect(BROKEN.some(([name]) => check.name.startsWith(name))).toBe(true);
    }
  });
});
