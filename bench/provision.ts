/**
 * Provisioning on a real glusterd: piragua's creates and deletes through the HTTP API, against a
 * serial loop of the raw commands they stand for, measured in the same run; then the same with a
 * warm pool of pre-made quota directories. Several runs; the table shows each row's median.
 *
 *   npm run bench:gluster -- [--n 100] [--runs 3] [--pool 16]
 */
import { mkdir, rm } from 'node:fs/promises';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HeketiClient } from '../test/heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../test/piragua-process.js';
import { parsePrometheusText, valueOf } from '../test/prometheus-text.js';
import { createGlusterTestVolume, ensureGlusterd, type GlusterTestVolume } from '../test/gluster/gluster-volume.fixture.js';
import { sh, unmount } from '../test/gluster/gluster-shell.js';
import { median, pool, printTable, writeResults } from './stats.js';

const { values } = parseArgs({
  options: {
    n: { default: '100', type: 'string' },
    out: { default: 'bench/results/provision.json', type: 'string' },
    pool: { default: '16', type: 'string' },
    runs: { default: '3', type: 'string' },
  },
});
const N = Number(values.n);
const POOL = Number(values.pool);

interface Row {
  concurrency: number;
  'median ms': number;
  name: string;
  'volumes/s': number;
}

async function gluster(args: string[]): Promise<void> {
  const result = await sh('gluster', ['--mode=script', ...args]);
  if (result.code !== 0 || /<opRet>-/.test(result.stdout)) {
    throw new Error(`gluster ${args.join(' ')}: ${result.stderr || result.stdout}`);
  }
}

function row(name: string, concurrency: number, result: { durations: number[]; wallMs: number }): Row {
  const measured = {
    concurrency,
    'median ms': Math.round(median(result.durations)),
    name,
    'volumes/s': Number(((result.durations.length * 1000) / result.wallMs).toFixed(2)),
  };
  console.log(JSON.stringify(measured));
  return measured;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
  }
}

/** The serial loop of the commands a create and a delete stand for: the CLI path's own limit. */
async function rawBaseline(volume: GlusterTestVolume, mount: string, run: number): Promise<Row[]> {
  const create = row('raw mkdir + limit-usage (serial)', 1, await pool(N, 1, async (index) => {
    await mkdir(join(mount, `raw${run}_${index}`, 'data'), { recursive: true });
    await gluster(['volume', 'quota', volume.volume, 'limit-usage', `/raw${run}_${index}`, '1GB']);
  }));
  const remove = row('raw quota remove + rm -rf (serial)', 1, await pool(N, 1, async (index) => {
    await gluster(['volume', 'quota', volume.volume, 'remove', `/raw${run}_${index}`]);
    await rm(join(mount, `raw${run}_${index}`), { force: true, recursive: true });
  }));
  return [create, remove];
}

/**
 * Creates then deletes N volumes for each (concurrency, polling) pair, as the Heketi client does
 * (async, fresh JWT per request). Deletes are timed to their 204, and separately until the
 * background purge has emptied the trash (quota removal included).
 */
async function throughApi(server: PiraguaProcess, mountPoint: string, label: string, pairs: [number, number][]): Promise<Row[]> {
  const client = new HeketiClient(server.url, ADMIN_KEY);
  const rows: Row[] = [];
  for (const [concurrency, pollMs] of pairs) {
    const polling = pollMs === 10 ? 'poll 10 ms' : `Heketi client, poll ${pollMs} ms`;
    const ids: string[] = [];
    rows.push(row(`piragua create${label} (${polling})`, concurrency, await pool(N, concurrency, async () => {
      const { final } = await client.async('POST', '/volumes', { size: 1 }, pollMs);
      if (final.status !== 200) {
        throw new Error(`create failed: ${final.status} ${final.body}`);
      }
      ids.push(final.json().id);
    })));
    const started = performance.now();
    rows.push(row(`piragua delete${label} (${polling})`, concurrency, await pool(ids.length, concurrency, async (index) => {
      const { final } = await client.async('DELETE', `/volumes/${ids[index]}`, undefined, pollMs);
      if (final.status !== 204) {
        throw new Error(`delete failed: ${final.status} ${final.body}`);
      }
    })));
    await until(() => readdirSync(join(mountPoint, '.piragua', 'trash')).length === 0, 600_000, 'the trash to be purged');
    const purgedMs = performance.now() - started;
    rows.push({ concurrency, 'median ms': NaN, name: `piragua delete${label} until purged (${polling})`, 'volumes/s': Number(((ids.length * 1000) / purgedMs).toFixed(2)) });
  }
  return rows;
}

async function readyPool(server: PiraguaProcess): Promise<number> {
  const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
  return valueOf(metrics, 'piragua_warm_pool_ready_directories', { size_gib: '1' }) ?? 0;
}

async function oneRun(volume: GlusterTestVolume, rawMount: string, mountDir: string, run: number): Promise<Row[]> {
  const env = {
    HEKETI_MAX_INFLIGHT_OPERATIONS: '64',
    LOG_LEVEL: 'warn',
    PIRAGUA_BACKEND: 'gluster',
    PIRAGUA_GLUSTER_SERVER: volume.server,
    PIRAGUA_GLUSTER_VOLUMES: volume.volume,
    PIRAGUA_MOUNT_DIR: mountDir,
  };
  const mountPoint = join(mountDir, volume.volume);
  const rows = await rawBaseline(volume, rawMount, run);
  let server = await PiraguaProcess.start(env);
  try {
    rows.push(...(await throughApi(server, mountPoint, '', [[1, 10], [1, 400], [16, 400]])));
    await server.stop();
    server = await PiraguaProcess.start({ ...env, PIRAGUA_WARM_POOL: `1:${POOL}` });
    await until(async () => (await readyPool(server)) >= POOL, 600_000, 'the warm pool to fill');
    rows.push(...(await throughApi(server, mountPoint, `, pool of ${POOL}`, [[1, 10]])));
    await until(async () => (await readyPool(server)) >= POOL, 600_000, 'the warm pool to refill');
    rows.push(...(await throughApi(server, mountPoint, `, pool of ${POOL}`, [[16, 400]])));
  } finally {
    await server.stop();
  }
  return rows;
}

function ratios(rows: Row[]): Record<string, number> {
  const find = (name: string, concurrency: number) => rows.find((candidate) => candidate.name === name && candidate.concurrency === concurrency)!;
  const rawCreate = find('raw mkdir + limit-usage (serial)', 1);
  const rawDelete = find('raw quota remove + rm -rf (serial)', 1);
  const pooled = `, pool of ${POOL}`;
  return {
    'create overhead at c1, median ms (poll 10 ms)': find('piragua create (poll 10 ms)', 1)['median ms'] - rawCreate['median ms'],
    'create throughput c16 / raw serial': Number((find('piragua create (Heketi client, poll 400 ms)', 16)['volumes/s'] / rawCreate['volumes/s']).toFixed(2)),
    'delete overhead at c1, median ms (poll 10 ms)': find('piragua delete (poll 10 ms)', 1)['median ms'] - rawDelete['median ms'],
    'delete throughput c16 / raw serial': Number((find('piragua delete (Heketi client, poll 400 ms)', 16)['volumes/s'] / rawDelete['volumes/s']).toFixed(2)),
    'delete until purged c16 / raw serial': Number((find('piragua delete until purged (Heketi client, poll 400 ms)', 16)['volumes/s'] / rawDelete['volumes/s']).toFixed(2)),
    [`pooled create at c1, median ms (poll 10 ms)`]: find(`piragua create${pooled} (poll 10 ms)`, 1)['median ms'],
    [`pooled create throughput c16 / raw serial`]: Number((find(`piragua create${pooled} (Heketi client, poll 400 ms)`, 16)['volumes/s'] / rawCreate['volumes/s']).toFixed(2)),
  };
}

async function main(): Promise<void> {
  await ensureGlusterd();
  const volume = await createGlusterTestVolume('piragua_bench');
  const rawMount = mkdtempSync(join(tmpdir(), 'bench-raw-'));
  const mountDir = mkdtempSync(join(tmpdir(), 'bench-mounts-'));
  await sh('mount', ['-t', 'glusterfs', `${volume.server}:/${volume.volume}`, rawMount]);
  try {
    const runs: Row[][] = [];
    const runRatios: Record<string, number>[] = [];
    for (let run = 0; run < Number(values.runs); run += 1) {
      runs.push(await oneRun(volume, rawMount, mountDir, run));
      runRatios.push(ratios(runs.at(-1)!));
      console.log(JSON.stringify({ run, ratios: runRatios.at(-1) }));
    }
    const medians = runs[0]!.map((first, index) => ({
      ...first,
      'median ms': median(runs.map((rows) => rows[index]!['median ms'])),
      'volumes/s': median(runs.map((rows) => rows[index]!['volumes/s'])),
    }));
    const ratioMedians = Object.fromEntries(Object.keys(runRatios[0]!).map((key) => [key, median(runRatios.map((ratio) => ratio[key]!))]));
    printTable(`Provisioning, N = ${N} per row, median of ${runs.length} runs`, medians as unknown as Record<string, number | string>[]);
    printTable('Ratios (each computed within one run; median over runs)', Object.entries(ratioMedians).map(([ratio, value]) => ({ ratio, value })));
    writeResults(values.out!, { n: N, pool: POOL, ratioMedians, rows: medians, runRatios, runs });
  } finally {
    await unmount(join(mountDir, volume.volume));
    await unmount(rawMount);
    await volume.teardown();
  }
}

await main();
