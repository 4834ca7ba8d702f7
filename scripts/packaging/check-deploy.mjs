// Static checks of deploy/: the Kubernetes examples parse and fit together and fit what the
// kubernetes.io/glusterfs provisioner accepts (heketi-contract §8.1), the unit and the environment
// file say what the packages rely on. Prints one line per check and "N passed, M failed".
//
//   node scripts/packaging/check-deploy.mjs [--report FILE]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';

const root = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const read = (path) => readFileSync(join(root, path), 'utf8');
let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    const result = fn();
    if (result === false) {
      throw new Error('check returned false');
    }
    passed++;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed++;
    console.log(`not ok - ${name}\n    ${String(error.message).split('\n').join('\n    ')}`);
  }
}
function assert(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

// --- Kubernetes examples --------------------------------------------------------------------
const docs = [];
for (const file of readdirSync(join(root, 'deploy/kubernetes'))
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()) {
  check(`deploy/kubernetes/${file} parses as YAML`, () => {
    for (const doc of loadAll(read(`deploy/kubernetes/${file}`))) {
      assert(
        doc && doc.apiVersion && doc.kind && doc.metadata?.name,
        `a document without apiVersion/kind/metadata.name`,
      );
      docs.push({ file, ...doc });
    }
  });
}
const one = (kind) => {
  const found = docs.filter((doc) => doc.kind === kind);
  assert(found.length === 1, `expected one ${kind}, found ${found.length}`);
  return found[0];
};

// Keys the provisioner's parseClassParameters knows (matched case-insensitively); any other fails provisioning.
const KNOWN = [
  'resturl',
  'restuser',
  'restuserkey',
  'secretnamespace',
  'secretname',
  'restauthenabled',
  'clusterid',
  'gidmin',
  'gidmax',
  'volumetype',
  'volumeoptions',
  'volumenameprefix',
  'snapfactor',
  'customepnameprefix',
];

check('Secret: type kubernetes.io/glusterfs with the data key "key"', () => {
  const secret = one('Secret');
  assert(secret.type === 'kubernetes.io/glusterfs', `type is ${secret.type}`);
  assert(typeof (secret.stringData?.key ?? secret.data?.key) === 'string', 'no key');
});
check('StorageClass: provisioner kubernetes.io/glusterfs, only parameters the provisioner knows, all strings', () => {
  const sc = one('StorageClass');
  assert(sc.provisioner === 'kubernetes.io/glusterfs', `provisioner ${sc.provisioner}`);
  for (const [key, value] of Object.entries(sc.parameters)) {
    assert(KNOWN.includes(key.toLowerCase()), `unknown parameter ${key}`);
    assert(typeof value === 'string', `${key} is a ${typeof value}, parameters must be strings`);
  }
});
check('StorageClass: restuser admin, secretName/secretNamespace name the Secret', () => {
  const { parameters: p } = one('StorageClass');
  const secret = one('Secret');
  assert(p.restuser === 'admin', `restuser ${p.restuser}`);
  assert(p.secretName === secret.metadata.name && p.secretNamespace === secret.metadata.namespace, 'Secret mismatch');
});
check('StorageClass: gidMin/gidMax within 2000..2147483646, min < max', () => {
  const { parameters: p } = one('StorageClass');
  const min = Number(p.gidMin);
  const max = Number(p.gidMax);
  // 2000 is the provisioner's lowest; piragua (like Heketi) refuses gid 2147483647.
  assert(
    Number.isInteger(min) && Number.isInteger(max) && min >= 2000 && max <= 2147483646 && min < max,
    `${min}..${max}`,
  );
});
check('StorageClass: volumenameprefix has no "_" and only [A-Za-z0-9-]', () => {
  const prefix = one('StorageClass').parameters.volumenameprefix;
  assert(/^[A-Za-z0-9-]+$/.test(prefix), `volumenameprefix ${prefix}`);
});
check('StorageClass: resturl is http(s)://<Service ClusterIP>:<Service port>, no trailing slash', () => {
  const url = new URL(one('StorageClass').parameters.resturl);
  const service = one('Service');
  assert(!one('StorageClass').parameters.resturl.endsWith('/'), 'trailing slash (the Go client would send //volumes)');
  assert(['http:', 'https:'].includes(url.protocol), url.protocol);
  assert(
    url.hostname === service.spec.clusterIP,
    `${url.hostname} is not the Service's clusterIP ${service.spec.clusterIP}`,
  );
  assert(Number(url.port) === service.spec.ports[0].port, `port ${url.port}`);
});
check('Service: no selector, a fixed ClusterIP', () => {
  const service = one('Service');
  assert(service.spec.selector === undefined, 'a selector would make Kubernetes manage the Endpoints');
  assert(isIP(service.spec.clusterIP) !== 0, `clusterIP ${service.spec.clusterIP}`);
});
check('Endpoints: same name and namespace as the Service, same port name, targetPort, IP addresses', () => {
  const service = one('Service');
  const endpoints = one('Endpoints');
  assert(
    endpoints.metadata.name === service.metadata.name && endpoints.metadata.namespace === service.metadata.namespace,
    'name',
  );
  const [subset] = endpoints.subsets;
  assert(subset.addresses.length >= 2, 'fewer than two instances');
  for (const { ip } of subset.addresses) {
    assert(isIP(ip) !== 0, `${ip} is not an IP address`);
  }
  const [port] = subset.ports;
  assert(port.name === service.spec.ports[0].name, `port name ${port.name} vs ${service.spec.ports[0].name}`);
  assert(
    port.port === service.spec.ports[0].targetPort,
    `port ${port.port} vs targetPort ${service.spec.ports[0].targetPort}`,
  );
});
check('PersistentVolumeClaim example uses the StorageClass', () => {
  assert(one('PersistentVolumeClaim').spec.storageClassName === one('StorageClass').metadata.name);
});

// --- unit and environment file ----------------------------------------------------------------
const unit = read('deploy/piragua.service');
const directive = (name) =>
  unit
    .split('\n')
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1));
check('unit: ordered after glusterd and the network', () => {
  const after = directive('After').join(' ').split(/\s+/);
  assert(after.includes('glusterd.service') && after.includes('network-online.target'), `After=${after}`);
  assert(
    directive('Wants').join(' ').includes('network-online.target'),
    'network-online.target needs Wants= to be reached',
  );
});
check('unit: restarts on failure, reads /etc/piragua/environment, starts the bundled node on dist/main.js', () => {
  assert(directive('Restart')[0] === 'on-failure');
  assert(directive('EnvironmentFile')[0] === '/etc/piragua/environment');
  assert(directive('ExecStart')[0] === '/opt/piragua/node/bin/node /opt/piragua/dist/main.js');
  assert(directive('WantedBy')[0] === 'multi-user.target', 'postinst enables it through multi-user.target.wants');
});
// The list loadEnv itself picks out of the environment, from the build the packages ship.
const { envNames } = await import(join(root, 'dist/config/env.js'));
const envKeys = envNames();
check('environment.example: every variable (commented ones too) is one piragua reads', () => {
  assert(envKeys.length > 10, 'could not read the variable list from dist/config/env.js');
  const unknown = read('deploy/environment.example')
    .split('\n')
    .map((line) => line.match(/^#?([A-Z][A-Z0-9_]+)=/)?.[1])
    .filter((key) => key && !envKeys.includes(key));
  assert(unknown.length === 0, `unknown: ${unknown.join(', ')}`);
});
check('environment.example: HEKETI_ADMIN_KEY=change-me, the placeholder postinst and %post replace', () => {
  assert(/^HEKETI_ADMIN_KEY=change-me$/m.test(read('deploy/environment.example')));
  assert(read('deploy/debian/postinst').includes('PLACEHOLDER=change-me'));
  assert(read('deploy/rpm/piragua.spec').includes("'^HEKETI_ADMIN_KEY=change-me$'"));
});
check('Dockerfile: builds with npm ci, runs dist/main.js, installs the Gluster client', () => {
  const dockerfile = read('deploy/Dockerfile');
  assert(/^FROM node:\d+/m.test(dockerfile), 'FROM node:<major>');
  assert(
    /npm ci --omit=dev/.test(dockerfile) && /glusterfs-client/.test(dockerfile) && /dist\/main\.js/.test(dockerfile),
  );
  const instructions = dockerfile
    .split('\n')
    .filter((line) => /^[A-Z]+\s/.test(line))
    .map((line) => line.split(/\s/)[0]);
  const valid = [
    'FROM',
    'RUN',
    'COPY',
    'WORKDIR',
    'ENV',
    'EXPOSE',
    'ENTRYPOINT',
    'CMD',
    'ARG',
    'LABEL',
    'USER',
    'STOPSIGNAL',
    'HEALTHCHECK',
    'VOLUME',
  ];
  assert(
    instructions.every((word) => valid.includes(word)),
    `unexpected instruction in ${instructions}`,
  );
});

const reportAt = process.argv.indexOf('--report');
if (reportAt > 0) {
  mkdirSync(dirname(process.argv[reportAt + 1]), { recursive: true });
  writeFileSync(
    process.argv[reportAt + 1],
    JSON.stringify({
      numPassedTests: passed,
      numFailedTests: failed,
      numPendingTests: 0,
      numTodoTests: 0,
      numFailedTestSuites: 0,
    }),
  );
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
