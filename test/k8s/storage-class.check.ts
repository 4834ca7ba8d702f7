import { CSI_PLUGIN_NAME } from '../../src/csi/csi-plugin.js';
import { envValue, findObject, type LoadedKit, objectsOf, piraguaContainers } from './kit.loader.js';

const STORAGE_CLASS_KEYS = ['resturl', 'restuser', 'clusters', 'gidMin', 'gidMax'];
const SECRET_PARAMETERS = ['provisioner-secret', 'controller-expand-secret'];

/** The class provisions with this driver, its secrets and resturl are objects of the kit, the controller's defaults agree. */
export function storageClassProblems(kit: LoadedKit): string[] {
  const classes = objectsOf(kit, 'StorageClass');
  const controller = piraguaContainers(kit).find(({ mode }) => mode === 'controller')?.piragua;
  const problems = classes.length === 0 ? ['no StorageClass'] : [];
  for (const sc of classes) {
    const parameters = (sc.parameters ?? {}) as Record<string, string>;
    const at = `StorageClass ${sc.metadata.name as string}`;
    if (sc.provisioner !== CSI_PLUGIN_NAME) {
      problems.push(`${at}: provisioner ${sc.provisioner as string}, not ${CSI_PLUGIN_NAME}`);
    }
    if (sc.allowVolumeExpansion !== true) {
      problems.push(`${at}: the plugin expands online, allowVolumeExpansion should be true`);
    }
    for (const key of Object.keys(parameters)) {
      if (!STORAGE_CLASS_KEYS.includes(key) && !key.startsWith('csi.storage.k8s.io/')) {
        problems.push(`${at}: unknown parameter ${key}`);
      }
    }
    for (const kind of SECRET_PARAMETERS) {
      const name = parameters[`csi.storage.k8s.io/${kind}-name`];
      const namespace = parameters[`csi.storage.k8s.io/${kind}-namespace`];
      const secret = name && namespace ? findObject(kit, 'Secret', name, namespace) : undefined;
      if (secret === undefined || (secret.stringData?.key ?? secret.data?.key) === undefined) {
        problems.push(`${at}: ${kind} ${String(namespace)}/${String(name)} is no Secret of the kit with a "key"`);
      }
    }
    const url = new URL(parameters.resturl ?? 'invalid:');
    const [service, namespace] = url.hostname.split('.');
    const svc = findObject(kit, 'Service', service ?? '', namespace);
    const port = svc?.spec.ports?.find((each: { port: number }) => String(each.port) === url.port);
    if (!/^[^.]+\.[^.]+\.svc$/.test(url.hostname) || port === undefined || parameters.resturl.endsWith('/')) {
      problems.push(`${at}: resturl ${String(parameters.resturl)} is not <Service>.<namespace>.svc:<its port>`);
    } else if (
      !objectsOf(kit, 'EndpointSlice').some(
        (slice) =>
          slice.metadata.labels?.['kubernetes.io/service-name'] === service &&
          slice.metadata.namespace === namespace &&
          slice.ports?.some((each: { name?: string }) => each.name === port.name),
      )
    ) {
      problems.push(`${at}: no EndpointSlice gives Service ${String(service)} a port named ${String(port.name)}`);
    }
    const key = controller?.env?.find((each) => each.name === 'PIRAGUA_HEKETI_KEY')?.valueFrom?.secretKeyRef;
    if (
      controller === undefined ||
      envValue(controller, 'PIRAGUA_HEKETI_URL') !== parameters.resturl ||
      envValue(controller, 'PIRAGUA_HEKETI_USER') !== parameters.restuser ||
      key?.name !== parameters['csi.storage.k8s.io/provisioner-secret-name'] ||
      key?.key !== 'key'
    ) {
      problems.push(`${at}: the controller's PIRAGUA_HEKETI_URL/USER/KEY (its deletes) differ from the class`);
    }
  }
  return problems;
}
