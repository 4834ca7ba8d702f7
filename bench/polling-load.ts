/**
 * Do polling clients slow operations down? Creates through the HTTP API on a real glusterd, once
 * alone and once while 32 clients read and poll as Heketi's client does (a fresh JWT per request,
 * every 400 ms), measured in the same run.
 *
 *   npm run bench:polling -- [--n 40]
 */
import { parseArgs } from 'node:util';
import { HeketiClient } from '../test/heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../test/piragua-process.js';
import { createGlusterTestVolume, ensureGlusterd } from '../test/gluster/gluster-volume.fixture.js';
import { benchMountDir, removeBenchMounts } from './gluster-env.js';
import { median, percentile, pool, printTable, writeResults } from './stats.js';

const { values } = parseArgs({
  options: {
    n: { default: '40', type: 'string' },
    out: { default: 'bench/results/polling-load.json', type: 'string' },
  },
});
const N = Number(values.n);
const POLLERS = 32;

async function main(): Promise<void> {
  await ensureGlusterd();
  const volume = await createGlusterTestVolume('piragua_poll');
  const mountDir = benchMountDir();
  const server = await PiraguaProcess.start({
    PIRAGUA_BACKEND: 'gluster',
    PIRAGUA_GLUSTER_SERVER: volume.server,
    PIRAGUA_GLUSTER_VOLUMES: volume.volume,
    PIRAGUA_MOUNT_DIR: mountDir,
  });
  try {
    const client = new HeketiClient(server.url, ADMIN_KEY);
    const seed = (await client.async('POST', '/volumes', { size: 1 })).final.json().id as string;
    const createAll = () =>
      pool(N, 8, async () => {
        const { final } = await client.async('POST', '/volumes', { size: 1 }, 10);
        if (final.status !== 200) {
          throw new Error(`create failed: ${final.status} ${final.body}`);
        }
      });
    const alone = await createAll();

    let stop = false;
    const readLatencies: number[] = [];
    const pollers = Array.from({ length: POLLERS }, async (_, index) => {
      const reader = new HeketiClient(server.url, ADMIN_KEY);
      const paths = [`/volumes/${seed}`, '/clusters', '/volumes', `/queue/${'0'.repeat(31)}${index % 10}`];
      for (let turn = 0; !stop; turn += 1) {
        const started = performance.now();
        await reader.request('GET', paths[turn % paths.length]);
        readLatencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    });
    const loaded = await createAll();
    stop = true;
    await Promise.all(pollers);

    const rows = [
      {
        'create median ms': Math.round(median(alone.durations)),
        name: 'creates alone (8 clients)',
        'volumes/s': Number(((N * 1000) / alone.wallMs).toFixed(2)),
      },
      {
        'create median ms': Math.round(median(loaded.durations)),
        name: `creates with ${POLLERS} polling clients`,
        'volumes/s': Number(((N * 1000) / loaded.wallMs).toFixed(2)),
      },
    ];
    const reads = {
      'read median ms': Number(median(readLatencies).toFixed(1)),
      'read p99 ms': Number(percentile(readLatencies, 99).toFixed(1)),
      reads: readLatencies.length,
    };
    printTable(`Creates with and without polling clients, N = ${N}`, rows);
    printTable('Reads by the polling clients meanwhile', [reads]);
    writeResults(values.out, { n: N, pollers: POLLERS, reads, rows });
  } finally {
    await server.stop();
    await removeBenchMounts(mountDir, volume);
    await volume.teardown();
  }
}

await main();
