/**
 * How piragua behaves as one Gluster volume fills with volumes: at each stage (100, 1,000, 10,000
 * by default) the create latency, how long gluster's own `quota list --xml` takes, piragua's
 * resident memory, and how long a restarted instance takes to be ready and to index every volume.
 * Volumes are created through the API by 16 clients between stages; results are written after
 * every stage. Past `--minutes` the filling stops and the last stage is measured at the count reached.
 *
 *   npm run bench:scale -- [--stages 100,1000,10000] [--minutes 60]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HeketiClient } from '../test/heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../test/piragua-process.js';
import { createGlusterTestVolume, ensureGlusterd } from '../test/gluster/gluster-volume.fixture.js';
import { sh } from '../test/gluster/gluster-shell.js';
import { median, pool, printTable, timed, writeResults } from './stats.js';
import { benchMountDir, glusterEnv, removeBenchMounts } from './gluster-env.js';

const { values } = parseArgs({
  options: {
    minutes: { default: '60', type: 'string' },
    out: { default: 'bench/results/scale.json', type: 'string' },
    stages: { default: '100,1000,10000', type: 'string' },
  },
});
const STAGES = values.stages.split(',').map(Number);
const LATENCY_SAMPLES = 20;
const DEADLINE = Date.now() + Number(values.minutes) * 60_000;

function residentMiB(pid: number): number {
  return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024);
}

async function main(): Promise<void> {
  await ensureGlusterd();
  const volume = await createGlusterTestVolume('piragua_scale');
  const mountDir = benchMountDir();
  const env = glusterEnv(volume, mountDir, { PIRAGUA_OVERCOMMIT: '100' });
  let server = await PiraguaProcess.start(env);
  const stages: Record<string, number | string>[] = [];
  let created = 0;
  try {
    for (const stage of STAGES) {
      const client = new HeketiClient(server.url, ADMIN_KEY);
      let filled = 0;
      const filling = await pool(stage - created - LATENCY_SAMPLES, 16, async () => {
        if (Date.now() > DEADLINE) {
          return;
        }
        const { final } = await client.async('POST', '/volumes', { size: 1 }, 100);
        if (final.status !== 200) {
          throw new Error(`create failed: ${final.status} ${final.body}`);
        }
        filled += 1;
      });
      const latency = await pool(LATENCY_SAMPLES, 1, async () => {
        const { final } = await client.async('POST', '/volumes', { size: 1 }, 10);
        if (final.status !== 200) {
          throw new Error(`create failed: ${final.status} ${final.body}`);
        }
      });
      created += filled + LATENCY_SAMPLES;
      const quotaList: number[] = [];
      for (let sample = 0; sample < 3; sample += 1) {
        quotaList.push(
          (await timed(() => sh('gluster', ['--mode=script', 'volume', 'quota', volume.volume, 'list', '--xml']))).ms,
        );
      }
      const rssBefore = residentMiB(server.child.pid!);
      await server.stop();
      const started = performance.now();
      server = await PiraguaProcess.start(env);
      const readyMs = performance.now() - started;
      const restarted = new HeketiClient(server.url, ADMIN_KEY);
      const listed: string[] = (await restarted.request('GET', '/volumes')).json().volumes;
      const indexedMs = performance.now() - started;
      const result = {
        'create median ms (c1, poll 10 ms)': Math.round(median(latency.durations)),
        'fill volumes/s (c16)': Number(((filled * 1000) / filling.wallMs).toFixed(2)),
        'indexed after restart ms': Math.round(indexedMs),
        listed: listed.length,
        'quota list --xml ms': Math.round(median(quotaList)),
        'ready after restart ms': Math.round(readyMs),
        'RSS MiB': rssBefore,
        'RSS after restart MiB': residentMiB(server.child.pid!),
        volumes: created,
      };
      stages.push(result);
      console.log(JSON.stringify(result));
      writeResults(values.out, { stages });
      if (Date.now() > DEADLINE) {
        break;
      }
    }
    printTable('Scale: one Gluster volume, 1 GiB volumes', stages);
  } finally {
    await server.stop();
    await removeBenchMounts(mountDir, volume);
    await volume.teardown();
  }
}

await main();
