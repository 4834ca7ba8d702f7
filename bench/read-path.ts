/**
 * The read path: wrk at 32 connections against the endpoints clients poll, with 10,000 volumes on
 * the local backend and 200 on a real Gluster volume; memory, start-up to ready, answers while the
 * index loads, and a count of the storage calls those requests caused (must be 0).
 *
 *   npm run bench -- [--volumes 10000] [--gluster-volumes 200] [--seconds 10] [--runs 3] [--log-level log] [--no-gluster]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { requestPathForQsh } from '../src/auth/qsh.js';
import { heketiToken } from '../test/factories/heketi-token.factory.js';
import { HeketiClient } from '../test/heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../test/piragua-process.js';
import { parsePrometheusText } from '../test/prometheus-text.js';
import { createGlusterTestVolume, ensureGlusterd } from '../test/gluster/gluster-volume.fixture.js';
import { unmount } from '../test/gluster/gluster-shell.js';
import { median, pool, printTable, writeResults } from './stats.js';
import { seedLocalVolumes } from './seed-local.js';
import { wrk, type WrkResult } from './wrk.js';
import { glusterEnv } from './gluster-env.js';

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
const CONNECTIONS = 32;
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);

function residentMiB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { now: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

/** Storage calls caused by HTTP requests so far, from the gateway's own counter. */
async function requestBackendCalls(server: PiraguaProcess): Promise<number> {
  const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
  return metrics.samples.filter((sample) => sample.name === 'piragua_backend_calls_total' && sample.labels.origin === 'request').reduce((sum, sample) => sum + sample.value, 0);
}

interface EndpointResult extends WrkResult {
  backend: string;
  'backend calls': number;
  path: string;
  volumes: number;
}

/** RUNS rounds over every path, interleaved so drift hits all paths alike; medians per path. */
async function measurePaths(server: PiraguaProcess, backend: string, volumes: number, paths: string[]): Promise<EndpointResult[]> {
  const samples = new Map<string, WrkResult[]>(paths.map((path) => [path, []]));
  const callsByPath = new Map<string, number>();
  for (let run = 0; run < RUNS; run += 1) {
    for (const path of paths) {
      // Valid for the whole run: a Heketi token is bound to method and path, not to one request.
      const token = heketiToken({ exp: 3600, key: ADMIN_KEY, method: 'GET', path: requestPathForQsh(path) });
      const before = await requestBackendCalls(server);
      const result = await wrk(`${server.url}${path}`, token, { connections: CONNECTIONS, seconds: SECONDS, threads: 2 });
      callsByPath.set(path, (callsByPath.get(path) ?? 0) + (await requestBackendCalls(server)) - before);
      samples.get(path)!.push(result);
      console.log(JSON.stringify({ backend, path, run, ...result }));
    }
  }
  return paths.map((path) => {
    const runs = samples.get(path)!;
    const pick = (key: keyof WrkResult) => median(runs.map((result) => result[key]));
    return {
      backend,
      'backend calls': callsByPath.get(path)!,
      errors: runs.reduce((sum, result) => sum + result.errors, 0),
      path: path.replace(/[0-9a-f]{32}/, '{id}'),
      'p50 ms': pick('p50 ms'),
      'p99 ms': pick('p99 ms'),
      requests: runs.reduce((sum, result) => sum + result.requests, 0),
      'requests/s': pick('requests/s'),
      volumes,
    };
  });
}

/**
 * Starts the service on a seeded data directory and, until the index has every volume, checks
 * that each answer is right: a known volume's info is 200 with its name, the list is whole.
 */
async function startAndWatch(env: Record<string, string>, ids: string[]): Promise<{ indexedMs: number; readyMs: number; server: PiraguaProcess; wrongAnswers: number; answersWhileLoading: number }> {
  const started = performance.now();
  const server = await PiraguaProcess.start(env, { waitReady: false });
  const client = new HeketiClient(server.url, ADMIN_KEY);
  let readyMs = NaN;
  let wrongAnswers = 0;
  let answersWhileLoading = 0;
  for (let turn = 0; ; turn += 1) {
    if (Number.isNaN(readyMs) && (await fetch(`${server.url}/health/ready`)).status === 200) {
      readyMs = performance.now() - started;
    }
    const id = ids[(turn * 7919) % ids.length]!;
    const [info, list] = await Promise.all([client.request('GET', `/volumes/${id}`), turn % 5 === 0 ? client.request('GET', '/volumes') : undefined]);
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

async function localBackend(volumes: number, rows: EndpointResult[], memory: Record<string, number | string>[]): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-read-'));
  const seeding = performance.now();
  const ids = await seedLocalVolumes(dataDir, volumes);
  console.log(`seeded ${volumes} volumes in ${Math.round(performance.now() - seeding)} ms`);
  const { answersWhileLoading, indexedMs, readyMs, server, wrongAnswers } = await startAndWatch({ LOG_LEVEL: values['log-level']!, PIRAGUA_DATA_DIR: dataDir }, ids);
  try {
    const clusterId = (await new HeketiClient(server.url, ADMIN_KEY).request('GET', '/clusters')).json().clusters[0] as string;
    const loaded = residentMiB(server.child.pid!);
    rows.push(...(await measurePaths(server, 'local', volumes, [`/volumes/${ids[0]}`, '/volumes', `/clusters/${clusterId}`, '/hello'])));
    const after = residentMiB(server.child.pid!);
    memory.push({
      'answers while loading': answersWhileLoading,
      backend: 'local',
      'indexed ms': Math.round(indexedMs),
      'ready ms': Math.round(readyMs),
      'RSS after load MiB': loaded.now,
      'RSS peak MiB': after.peak,
      volumes,
      'wrong answers': wrongAnswers,
    });
  } finally {
    await server.stop();
  }
}

async function glusterBackend(volumes: number, rows: EndpointResult[], memory: Record<string, number | string>[]): Promise<void> {
  await ensureGlusterd();
  const volume = await createGlusterTestVolume('piragua_read');
  const mountDir = mkdtempSync(join(tmpdir(), 'bench-mounts-'));
  const env = glusterEnv(volume, mountDir, { LOG_LEVEL: values['log-level']! });
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
    const clusterId = (await new HeketiClient(server.url, ADMIN_KEY).request('GET', '/clusters')).json().clusters[0] as string;
    const loaded = residentMiB(server.child.pid!);
    rows.push(...(await measurePaths(server, 'gluster', volumes, [`/volumes/${ids[0]}`, '/volumes', `/clusters/${clusterId}`, '/hello'])));
    memory.push({
      'answers while loading': watched.answersWhileLoading,
      backend: 'gluster',
      'indexed ms': Math.round(watched.indexedMs),
      'ready ms': Math.round(watched.readyMs),
      'RSS after load MiB': loaded.now,
      'RSS peak MiB': residentMiB(server.child.pid!).peak,
      volumes,
      'wrong answers': watched.wrongAnswers,
    });
  } finally {
    await server.stop();
    await unmount(join(mountDir, volume.volume));
    await volume.teardown();
  }
}

async function main(): Promise<void> {
  const rows: EndpointResult[] = [];
  const memory: Record<string, number | string>[] = [];
  await localBackend(Number(values.volumes), rows, memory);
  if (!values['no-gluster']) {
    await glusterBackend(Number(values['gluster-volumes']), rows, memory);
  }
  printTable(`Read path: wrk, ${CONNECTIONS} connections, ${SECONDS} s, median of ${RUNS} runs, LOG_LEVEL=${values['log-level']}`, rows as unknown as Record<string, string | number>[]);
  printTable('Start-up and memory', memory);
  writeResults(values.out!, { connections: CONNECTIONS, logLevel: values['log-level'], memory, rows, runs: RUNS, seconds: SECONDS });
}

await main();
