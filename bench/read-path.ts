/**
 * The read path: wrk at 32 connections against the endpoints clients poll, with 10,000 volumes on
 * the local backend and 200 on a real Gluster volume; memory, start-up to ready, answers while the
 * index loads, and a count of the storage calls those requests caused (must be 0). Each round
 * ends with two yardsticks of how fast the machine is then: a bare Node server (reference-server.ts)
 * and a bare Nest app on Express with the same token check (nest-express-reference.ts).
 *
 *   npm run bench -- [--volumes 10000] [--gluster-volumes 200] [--seconds 10] [--runs 3] [--log-level log] [--no-gluster]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { requestPathForQsh } from '../src/common/qsh.js';
import { heketiToken } from '../test/factories/heketi-token.factory.js';
import { HeketiClient } from '../test/heketi-client.js';
import { ADMIN_KEY, freePort, PiraguaProcess } from '../test/piragua-process.js';
import { parsePrometheusText } from '../test/prometheus-text.js';
import { createGlusterTestVolume, ensureGlusterd } from '../test/gluster/gluster-volume.fixture.js';
import { median, pool, printTable, writeResults } from './stats.js';
import { seedLocalVolumes } from './seed-local.js';
import { wrk, type WrkResult } from './wrk.js';
import { benchMountDir, glusterEnv, removeBenchMounts } from './gluster-env.js';

const { values } = parseArgs({
  options: {
    'gluster-volumes': { default: '200', type: 'string' },
    /** The service's LOG_LEVEL: at `log` (the default) every request writes a JSON line, as in production. */
    'log-level': { default: 'log', type: 'string' },
    'no-gluster': { default: false, type: 'boolean' },
    out: { default: 'bench/results/read-path.json', type: 'string' },
    runs: { default: '3', type: 'string' },
    seconds: { default: '10', type: 'string' },
    volumes: { default: '10000', type: 'string' },
  },
});
const CLOCK_TICKS = 100;
/** The services' request lines: gigabytes over a whole bench, so removed at its end. */
const LOG_DIR = mkdtempSync(join(tmpdir(), 'bench-read-logs-'));
const CONNECTIONS = 32;
/** Not counted: V8 compiles the hot paths in the first seconds of load. */
const WARM_UP_SECONDS = 3;
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);

/** CPU seconds the process has used so far (user and system), from /proc. */
function cpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name's closing parenthesis.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * Waits until the service uses under a tenth of a core over 2 s: at start it reconciles and meters
 * every volume once, and measuring while it does so measures that work, not the requests.
 */
async function untilIdle(pid: number): Promise<number> {
  const started = performance.now();
  for (let last = cpuSeconds(pid); performance.now() - started < 120_000;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const now = cpuSeconds(pid);
    if (now - last < 0.2) {
      break;
    }
    last = now;
  }
  return performance.now() - started;
}

function residentMiB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { now: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

/** Storage calls caused by HTTP requests so far, from the backends' own counter. */
async function requestBackendCalls(server: PiraguaProcess): Promise<number> {
  const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
  return metrics.samples
    .filter((sample) => sample.name === 'piragua_backend_calls_total' && sample.labels.origin === 'request')
    .reduce((sum, sample) => sum + sample.value, 0);
}

interface EndpointResult extends WrkResult {
  backend: string;
  'backend calls': number;
  path: string;
  /** Median over the rounds of this path's requests/s over the bare Nest-on-Express app's in the same round. */
  'vs Nest': number;
  /** Median over the rounds of this path's requests/s over the bare Node server's in the same round. */
  'vs Node': number;
  volumes: number;
}

interface Yardstick {
  stop: () => void;
  url: string;
}

/** A yardstick server (reference-server.js or nest-express-reference.js) on its own port, checking tokens signed with ADMIN_KEY. */
async function startYardstick(script: string): Promise<Yardstick> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(import.meta.dirname, script), String(port), ADMIN_KEY], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout, 'data');
  return { stop: () => child.kill(), url: `http://127.0.0.1:${port}` };
}

/** What the Nest yardstick serves: one volume's info, by a path of the same shape as piragua's. */
const NEST_PATH = `/volumes/${'0'.repeat(32)}`;

/**
 * RUNS rounds over every path, interleaved so drift hits all paths alike, each round ending with
 * the two yardsticks; medians per path.
 */
async function measurePaths(
  server: PiraguaProcess,
  backend: string,
  volumes: number,
  paths: string[],
  yardsticks: { nest: Yardstick; node: Yardstick },
): Promise<{ rows: EndpointResult[]; underLoadMiB: number }> {
  const NODE = 'bare Node server';
  const NEST = 'bare Nest on Express';
  const samples = new Map<string, WrkResult[]>([...paths, NODE, NEST].map((path) => [path, []]));
  const callsByPath = new Map<string, number>([
    [NODE, 0],
    [NEST, 0],
  ]);
  // Read as each run ends, before the next /metrics read (a 3.3 MB exposition at 10,000 volumes) adds its garbage.
  let underLoadMiB = 0;
  // Valid for the whole bench: a Heketi token is bound to method and path, not to one request.
  const tokenFor = (path: string) =>
    heketiToken({ exp: 3600, key: ADMIN_KEY, method: 'GET', path: requestPathForQsh(path) });
  const measure = (url: string, path: string, seconds: number) =>
    wrk(`${url}${path}`, tokenFor(path), { connections: CONNECTIONS, seconds, threads: 2 });
  console.log(`${backend}: idle ${Math.round(await untilIdle(server.child.pid!))} ms after start`);
  for (const path of paths) {
    await measure(server.url, path, WARM_UP_SECONDS);
  }
  await measure(yardsticks.node.url, '/', WARM_UP_SECONDS);
  await measure(yardsticks.nest.url, NEST_PATH, WARM_UP_SECONDS);
  for (let run = 0; run < RUNS; run += 1) {
    for (const path of paths) {
      const before = await requestBackendCalls(server);
      const result = await measure(server.url, path, SECONDS);
      underLoadMiB = Math.max(underLoadMiB, residentMiB(server.child.pid!).now);
      callsByPath.set(path, (callsByPath.get(path) ?? 0) + (await requestBackendCalls(server)) - before);
      samples.get(path)!.push(result);
      console.log(JSON.stringify({ backend, path, run, ...result }));
    }
    for (const [name, url, path] of [
      [NODE, yardsticks.node.url, '/'],
      [NEST, yardsticks.nest.url, NEST_PATH],
    ] as const) {
      const result = await measure(url, path, SECONDS);
      samples.get(name)!.push(result);
      console.log(JSON.stringify({ backend: name, run, ...result }));
    }
  }
  const ratio = (runs: WrkResult[], yardstick: string) => {
    const yardstickRuns = samples.get(yardstick)!;
    const ratios = runs.map((result, run) => result['requests/s'] / yardstickRuns[run]['requests/s']);
    return Math.round(median(ratios) * 100) / 100;
  };
  const rows = [...paths, NODE, NEST].map((path) => {
    const runs = samples.get(path)!;
    const pick = (key: keyof WrkResult) => median(runs.map((result) => result[key]));
    const isYardstick = path === NODE || path === NEST;
    return {
      backend: isYardstick ? `${path}, ${backend} rounds` : backend,
      'backend calls': callsByPath.get(path)!,
      errors: runs.reduce((sum, result) => sum + result.errors, 0),
      path: path === NODE ? '/' : path === NEST ? '/volumes/{id}' : path.replace(/[0-9a-f]{32}/, '{id}'),
      'p50 ms': pick('p50 ms'),
      'p99 ms': pick('p99 ms'),
      requests: runs.reduce((sum, result) => sum + result.requests, 0),
      'requests/s': pick('requests/s'),
      'vs Nest': ratio(runs, NEST),
      'vs Node': ratio(runs, NODE),
      volumes: isYardstick ? 0 : volumes,
    };
  });
  return { rows, underLoadMiB };
}

/**
 * Starts the service on a seeded data directory and, until the index has every volume, checks
 * that each answer is right: a known volume's info is 200 with its name, the list is whole.
 */
async function startAndWatch(
  env: Record<string, string>,
  ids: string[],
): Promise<{
  indexedMs: number;
  readyMs: number;
  server: PiraguaProcess;
  wrongAnswers: number;
  answersWhileLoading: number;
}> {
  const started = performance.now();
  const server = await PiraguaProcess.start(env, {
    logFile: join(LOG_DIR, `${env.PIRAGUA_BACKEND ?? 'local'}.log`),
    waitReady: false,
  });
  const client = new HeketiClient(server.url, ADMIN_KEY);
  let readyMs = NaN;
  let wrongAnswers = 0;
  let answersWhileLoading = 0;
  for (let turn = 0; ; turn += 1) {
    if (Number.isNaN(readyMs) && (await fetch(`${server.url}/health/ready`)).status === 200) {
      readyMs = performance.now() - started;
    }
    const id = ids[(turn * 7919) % ids.length];
    const [info, list] = await Promise.all([
      client.request('GET', `/volumes/${id}`),
      turn % 5 === 0 ? client.request('GET', '/volumes') : undefined,
    ]);
    answersWhileLoading += list ? 2 : 1;
    if (info.status !== 200 || info.json().id !== id) {
      wrongAnswers += 1;
    }
    if (list) {
      const listed = list.status === 200 ? (list.json().volumes as string[]).length : -1;
      if (listed !== ids.length) {
        wrongAnswers += 1;
      } else if (!Number.isNaN(readyMs)) {
        return { answersWhileLoading, indexedMs: performance.now() - started, readyMs, server, wrongAnswers };
      }
    }
  }
}

async function localBackend(
  volumes: number,
  rows: EndpointResult[],
  memory: Record<string, number | string>[],
  yardsticks: { nest: Yardstick; node: Yardstick },
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-read-'));
  const seeding = performance.now();
  const ids = await seedLocalVolumes(dataDir, volumes);
  console.log(`seeded ${volumes} volumes in ${Math.round(performance.now() - seeding)} ms`);
  const { answersWhileLoading, indexedMs, readyMs, server, wrongAnswers } = await startAndWatch(
    { LOG_LEVEL: values['log-level'], PIRAGUA_DATA_DIR: dataDir },
    ids,
  );
  try {
    const clusterId = (await new HeketiClient(server.url, ADMIN_KEY).request('GET', '/clusters')).json()
      .clusters[0] as string;
    const loaded = residentMiB(server.child.pid!);
    const measured = await measurePaths(
      server,
      'local',
      volumes,
      [`/volumes/${ids[0]}`, '/volumes', `/clusters/${clusterId}`, '/hello'],
      yardsticks,
    );
    rows.push(...measured.rows);
    const after = residentMiB(server.child.pid!);
    memory.push({
      'answers while loading': answersWhileLoading,
      backend: 'local',
      'indexed ms': Math.round(indexedMs),
      'ready ms': Math.round(readyMs),
      'RSS after load MiB': loaded.now,
      'RSS peak MiB': after.peak,
      'RSS under wrk MiB': measured.underLoadMiB,
      volumes,
      'wrong answers': wrongAnswers,
    });
  } finally {
    await server.stop();
    rmSync(dataDir, { force: true, recursive: true });
  }
}

async function glusterBackend(
  volumes: number,
  rows: EndpointResult[],
  memory: Record<string, number | string>[],
  yardsticks: { nest: Yardstick; node: Yardstick },
): Promise<void> {
  await ensureGlusterd();
  const volume = await createGlusterTestVolume('piragua_read');
  const mountDir = benchMountDir();
  const env = glusterEnv(volume, mountDir, { LOG_LEVEL: values['log-level'] });
  let server = await PiraguaProcess.start(env);
  try {
    const client = new HeketiClient(server.url, ADMIN_KEY);
    const ids: string[] = [];
    const creating = await pool(volumes, 16, async () => {
      const { final } = await client.async('POST', '/volumes', { size: 1 }, 100);
      if (final.status !== 200) {
        throw new Error(`create failed: ${final.status} ${final.body}`);
      }
      ids.push(final.json().id);
    });
    console.log(`created ${volumes} Gluster volumes in ${Math.round(creating.wallMs)} ms`);
    await server.stop();
    const watched = await startAndWatch(env, ids);
    server = watched.server;
    const clusterId = (await new HeketiClient(server.url, ADMIN_KEY).request('GET', '/clusters')).json()
      .clusters[0] as string;
    const loaded = residentMiB(server.child.pid!);
    const measured = await measurePaths(
      server,
      'gluster',
      volumes,
      [`/volumes/${ids[0]}`, '/volumes', `/clusters/${clusterId}`, '/hello'],
      yardsticks,
    );
    rows.push(...measured.rows);
    memory.push({
      'answers while loading': watched.answersWhileLoading,
      backend: 'gluster',
      'indexed ms': Math.round(watched.indexedMs),
      'ready ms': Math.round(watched.readyMs),
      'RSS after load MiB': loaded.now,
      'RSS peak MiB': residentMiB(server.child.pid!).peak,
      'RSS under wrk MiB': measured.underLoadMiB,
      volumes,
      'wrong answers': watched.wrongAnswers,
    });
  } finally {
    await server.stop();
    await removeBenchMounts(mountDir, volume);
    await volume.teardown();
  }
}

async function main(): Promise<void> {
  const rows: EndpointResult[] = [];
  const memory: Record<string, number | string>[] = [];
  const yardsticks = {
    nest: await startYardstick('nest-express-reference.js'),
    node: await startYardstick('reference-server.js'),
  };
  try {
    await localBackend(Number(values.volumes), rows, memory, yardsticks);
    if (!values['no-gluster']) {
      await glusterBackend(Number(values['gluster-volumes']), rows, memory, yardsticks);
    }
  } finally {
    yardsticks.nest.stop();
    yardsticks.node.stop();
    rmSync(LOG_DIR, { force: true, recursive: true });
  }
  printTable(
    `Read path: wrk, ${CONNECTIONS} connections, ${SECONDS} s, median of ${RUNS} runs, LOG_LEVEL=${values['log-level']}`,
    rows as unknown as Record<string, string | number>[],
  );
  printTable('Start-up and memory', memory);
  writeResults(values.out, {
    connections: CONNECTIONS,
    logLevel: values['log-level'],
    memory,
    rows,
    runs: RUNS,
    seconds: SECONDS,
  });
}

await main();
