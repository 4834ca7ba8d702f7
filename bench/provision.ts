/**
 * Provisioning on a real glusterd: piragua's creates and deletes through the HTTP API, against a
 * serial loop of the raw commands they stand for, measured in the same run; then the same with a
 * warm pool of pre-made quota directories. Clients behave like Heketi's (async, poll every 400 ms,
 * fresh JWT per request). Several runs; the table shows each row's median.
 *
 *   npm run bench:gluster -- [--n 100] [--runs 3] [--pool 100]
 */
import { mkdir, rm } from 'node:fs/promises';
import { mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HeketiClient } from '../test/heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../test/piragua-process.js';
import { parsePrometheusText, valueOf } from '../test/prometheus-text.js';
import {
  createGlusterTestVolume,
  ensureGlusterd,
  type GlusterTestVolume,
} from '../test/gluster/gluster-volume.fixture.js';
import { sh, unmount } from '../test/gluster/gluster-shell.js';
import { median, pool, printTable, writeResults } from './stats.js';
import { benchMountDir, glusterEnv, removeBenchMounts } from './gluster-env.js';

const { values } = parseArgs({
  options: {
    n: { default: '100', type: 'string' },
    out: { default: 'bench/results/provision.json', type: 'string' },
    pool: { default: '100', type: 'string' },
    runs: { default: '3', type: 'string' },
  },
});
const N = Number(values.n);
const POOL = Number(values.pool);

interface Row {
  concurrency: number;
  /** Mean time the service spent on one operation: its POST/DELETE answered, plus the operation's own duration from its histogram. */
  'server ms'?: number;
  /** Mean duration of piragua's `quota limit-usage` / `quota remove` calls during the row (lock retries included). */
  'gluster call ms'?: number;
  'mean ms'?: number;
  'median ms': number;
  name: string;
  'volumes/s': number;
}

/** Sum and count of piragua's gluster calls of one subcommand so far, from its own histogram. */
async function glusterCalls(server: PiraguaProcess, subcommand: string): Promise<{ count: number; seconds: number }> {
  const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
  const labels = { outcome: 'ok', subcommand };
  return {
    count: valueOf(metrics, 'piragua_gluster_command_duration_seconds_count', labels) ?? 0,
    seconds: valueOf(metrics, 'piragua_gluster_command_duration_seconds_sum', labels) ?? 0,
  };
}

/** Sum and count of the service's succeeded operations of one kind so far. */
async function operations(server: PiraguaProcess, kind: string): Promise<{ count: number; seconds: number }> {
  const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
  const labels = { kind, result: 'succeeded' };
  return {
    count: valueOf(metrics, 'piragua_operation_duration_seconds_count', labels) ?? 0,
    seconds: valueOf(metrics, 'piragua_operation_duration_seconds_sum', labels) ?? 0,
  };
}

/**
 * Runs a row and adds what the service itself measured meanwhile: the mean time per operation
 * (request answered + operation run, without the client's polling interval) and the mean
 * duration of its gluster calls. A client polling every few milliseconds would perturb exactly
 * what it measures on these 2-core machines, so server time is read from the service's histograms.
 */
async function withServerTime(
  server: PiraguaProcess,
  kind: string,
  measure: (acceptedMs: number[]) => Promise<Row>,
): Promise<Row> {
  const subcommand = kind === 'create' ? 'volume quota limit-usage' : 'volume quota remove';
  const [callsBefore, opsBefore] = [await glusterCalls(server, subcommand), await operations(server, kind)];
  const acceptedMs: number[] = [];
  const measured = await measure(acceptedMs);
  const [callsAfter, opsAfter] = [await glusterCalls(server, subcommand), await operations(server, kind)];
  const calls = callsAfter.count - callsBefore.count;
  const ops = opsAfter.count - opsBefore.count;
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    ...measured,
    'gluster call ms': calls > 0 ? Math.round(((callsAfter.seconds - callsBefore.seconds) * 1000) / calls) : 0,
    'server ms': Math.round(mean(acceptedMs) + ((opsAfter.seconds - opsBefore.seconds) * 1000) / ops),
  };
}

async function gluster(args: string[]): Promise<void> {
  const result = await sh('gluster', ['--mode=script', ...args]);
  if (result.code !== 0 || /<opRet>-/.test(result.stdout)) {
    throw new Error(`gluster ${args.join(' ')}: ${result.stderr || result.stdout}`);
  }
}

function row(name: string, concurrency: number, result: { durations: number[]; wallMs: number }): Row {
  const measured: Row = {
    concurrency,
    'mean ms': Math.round(result.durations.reduce((sum, value) => sum + value, 0) / result.durations.length),
    'median ms': Math.round(median(result.durations)),
    name,
    'volumes/s': Number(((result.durations.length * 1000) / result.wallMs).toFixed(2)),
  };
  console.log(JSON.stringify(measured));
  return measured;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  for (
    const deadline = Date.now() + timeoutMs;
    !(await check());
    await new Promise((resolve) => setTimeout(resolve, 100))
  ) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
  }
}

/** The serial loop of the commands a create and a delete stand for: the CLI path's own limit. */
async function rawBaseline(volume: GlusterTestVolume, mount: string, run: number): Promise<Row[]> {
  const create = row(
    'raw mkdir + limit-usage (serial)',
    1,
    await pool(N, 1, async (index) => {
      await mkdir(join(mount, `raw${run}_${index}`, 'data'), { recursive: true });
      await gluster(['volume', 'quota', volume.volume, 'limit-usage', `/raw${run}_${index}`, '1GB']);
    }),
  );
  const remove = row(
    'raw quota remove + rm -rf (serial)',
    1,
    await pool(N, 1, async (index) => {
      await gluster(['volume', 'quota', volume.volume, 'remove', `/raw${run}_${index}`]);
      await rm(join(mount, `raw${run}_${index}`), { force: true, recursive: true });
    }),
  );
  // The loop itself is all the time these commands take: their "server" time.
  return [create, remove].map((measured) => ({ ...measured, 'server ms': measured['mean ms'] }));
}

/**
 * Creates then deletes N volumes for each (concurrency, polling) pair, as the Heketi client does
 * (async, fresh JWT per request). Deletes are timed to their 204, and separately until the
 * background purge has emptied the trash (quota removal included).
 */
async function throughApi(
  server: PiraguaProcess,
  mountPoint: string,
  label: string,
  concurrencies: number[],
  n = N,
): Promise<Row[]> {
  const client = new HeketiClient(server.url, ADMIN_KEY);
  const rows: Row[] = [];
  for (const concurrency of concurrencies) {
    const ids: string[] = [];
    rows.push(
      await withServerTime(server, 'create', async (acceptedMs) =>
        row(
          `piragua create${label}`,
          concurrency,
          await pool(n, concurrency, async () => {
            const { acceptedMs: answered, final } = await client.async('POST', '/volumes', { size: 1 });
            if (final.status !== 200) {
              throw new Error(`create failed: ${final.status} ${final.body}`);
            }
            acceptedMs.push(answered);
            ids.push(final.json().id);
          }),
        ),
      ),
    );
    const started = performance.now();
    rows.push(
      await withServerTime(server, 'delete', async (acceptedMs) =>
        row(
          `piragua delete${label}`,
          concurrency,
          await pool(ids.length, concurrency, async (index) => {
            const { acceptedMs: answered, final } = await client.async('DELETE', `/volumes/${ids[index]}`);
            if (final.status !== 204) {
              throw new Error(`delete failed: ${final.status} ${final.body}`);
            }
            acceptedMs.push(answered);
          }),
        ),
      ),
    );
    await until(
      () => readdirSync(join(mountPoint, '.piragua', 'trash')).length === 0,
      600_000,
      'the trash to be purged',
    );
    const purgedMs = performance.now() - started;
    rows.push({
      concurrency,
      'median ms': NaN,
      name: `piragua delete${label}, until purged`,
      'volumes/s': Number(((ids.length * 1000) / purgedMs).toFixed(2)),
    });
  }
  return rows;
}

async function readyPool(server: PiraguaProcess): Promise<number> {
  const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
  return valueOf(metrics, 'piragua_warm_pool_ready_directories', { size_gib: '1' }) ?? 0;
}

async function oneRun(volume: GlusterTestVolume, rawMount: string, mountDir: string, run: number): Promise<Row[]> {
  const env = glusterEnv(volume, mountDir);
  const mountPoint = join(mountDir, volume.volume);
  const rows = await rawBaseline(volume, rawMount, run);
  let server = await PiraguaProcess.start(env);
  try {
    rows.push(...(await throughApi(server, mountPoint, '', [1, 16])));
    await server.stop();
    server = await PiraguaProcess.start({ ...env, PIRAGUA_WARM_POOL: `1:${POOL}` });
    await until(async () => (await readyPool(server)) >= POOL, 600_000, 'the warm pool to fill');
    // Within the pool's size, so that every create of the row claims a pooled directory.
    rows.push(...(await throughApi(server, mountPoint, `, pool of ${POOL}`, [1], Math.min(N, POOL))));
    await until(async () => (await readyPool(server)) >= POOL, 600_000, 'the warm pool to refill');
    rows.push(...(await throughApi(server, mountPoint, `, pool of ${POOL}`, [16])));
  } finally {
    await server.stop();
  }
  return rows;
}

function ratios(rows: Row[]): Record<string, number> {
  const find = (name: string, concurrency: number) =>
    rows.find((candidate) => candidate.name === name && candidate.concurrency === concurrency)!;
  const rawCreate = find('raw mkdir + limit-usage (serial)', 1);
  const rawDelete = find('raw quota remove + rm -rf (serial)', 1);
  const pooled = `piragua create, pool of ${POOL}`;
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  return {
    'create overhead at c1, ms (server mean - raw mean)':
      find('piragua create', 1)['server ms']! - rawCreate['mean ms']!,
    'create throughput c16 / raw serial': ratio(find('piragua create', 16)['volumes/s'], rawCreate['volumes/s']),
    'delete overhead at c1, ms (server mean - raw mean)':
      find('piragua delete', 1)['server ms']! - rawDelete['mean ms']!,
    'delete throughput c16 / raw serial (to 204)': ratio(
      find('piragua delete', 16)['volumes/s'],
      rawDelete['volumes/s'],
    ),
    'delete throughput c16 / raw serial (until purged)': ratio(
      find('piragua delete, until purged', 16)['volumes/s'],
      rawDelete['volumes/s'],
    ),
    'pooled create at c1, server mean ms': find(pooled, 1)['server ms']!,
    'pooled create throughput c16 / raw serial': ratio(find(pooled, 16)['volumes/s'], rawCreate['volumes/s']),
  };
}

async function main(): Promise<void> {
  await ensureGlusterd();
  const volume = await createGlusterTestVolume('piragua_bench');
  const rawMount = mkdtempSync(join(tmpdir(), 'bench-raw-'));
  const mountDir = benchMountDir();
  await sh('mount', ['-t', 'glusterfs', `${volume.server}:/${volume.volume}`, rawMount]);
  try {
    const runs: Row[][] = [];
    const runRatios: Record<string, number>[] = [];
    for (let run = 0; run < Number(values.runs); run += 1) {
      runs.push(await oneRun(volume, rawMount, mountDir, run));
      runRatios.push(ratios(runs.at(-1)!));
      console.log(JSON.stringify({ run, ratios: runRatios.at(-1) }));
    }
    const medianOf = (index: number, key: keyof Row) => median(runs.map((rows) => Number(rows[index][key])));
    const medians = runs[0].map((first, index) => ({
      ...first,
      'gluster call ms': medianOf(index, 'gluster call ms'),
      'mean ms': medianOf(index, 'mean ms'),
      'median ms': medianOf(index, 'median ms'),
      'server ms': medianOf(index, 'server ms'),
      'volumes/s': medianOf(index, 'volumes/s'),
    }));
    const ratioMedians = Object.fromEntries(
      Object.keys(runRatios[0]).map((key) => [key, median(runRatios.map((ratio) => ratio[key]))]),
    );
    printTable(`Provisioning, N = ${N} per row, median of ${runs.length} runs`, medians);
    printTable(
      'Ratios (each computed within one run; median over runs)',
      Object.entries(ratioMedians).map(([ratio, value]) => ({ ratio, value })),
    );
    writeResults(values.out, { n: N, pool: POOL, ratioMedians, rows: medians, runRatios, runs });
  } finally {
    await removeBenchMounts(mountDir, volume);
    await unmount(rawMount);
    rmdirSync(rawMount);
    await volume.teardown();
  }
}

await main();
