/**
 * CSI provisioning on a real glusterd, the way Kubernetes drives it: a CSI-only controller
 * (PIRAGUA_HEKETI_URL, HeketiApiClient) in front of a piragua REST process on the Gluster volume.
 * CreateVolume latency (p50/p99) at 1 and 16 concurrent callers, then a burst of claims where
 * every call is cancelled at 50 ms (a gRPC deadline, as external-provisioner's timeout does) and
 * retried with the same name until it succeeds: it must end with exactly that many volumes and no
 * failure. Optionally with a warm pool of pre-made quota directories.
 *
 *   npm run bench:csi -- [--n 100] [--burst 100] [--pool 0]
 */
import { status } from '@grpc/grpc-js';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HeketiApiClient } from '../src/heketi-client/heketi-api.client.js';
import { CsiClient, GIB, MOUNT } from '../test/csi/csi-client.js';
import { CsiProcess } from '../test/csi/csi-process.js';
import { createGlusterTestVolume, ensureGlusterd } from '../test/gluster/gluster-volume.fixture.js';
import { HeketiClient } from '../test/heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../test/piragua-process.js';
import { parsePrometheusText, valueOf } from '../test/prometheus-text.js';
import { benchMountDir, glusterEnv, removeBenchMounts } from './gluster-env.js';
import { percentile, pool, printTable, writeResults } from './stats.js';

const { values } = parseArgs({
  options: {
    burst: { default: '100', type: 'string' },
    n: { default: '100', type: 'string' },
    out: { default: 'bench/results/csi-provision.json', type: 'string' },
    pool: { default: '0', type: 'string' },
  },
});
const N = Number(values.n);
if (Number(values.pool) > 0 && Number(values.pool) < Math.max(N, Number(values.burst))) {
  throw new Error('--pool must hold at least --n and --burst volumes');
}
const BURST = Number(values.burst);
const POOL = Number(values.pool);
/** What external-provisioner retries with the same name. */
const RETRIED = new Set([status.DEADLINE_EXCEEDED, status.ABORTED, status.UNAVAILABLE]);

const createRequest = (name: string) => ({
  capacity_range: { required_bytes: String(GIB) },
  name,
  volume_capabilities: [MOUNT('MULTI_NODE_MULTI_WRITER')],
});

/** CreateVolume latencies at `concurrency` callers; `direct`: the same creates through HeketiApiClient alone, without CSI, for comparison. */
async function latencies(
  csi: CsiClient,
  prefix: string,
  concurrency: number,
  direct?: HeketiApiClient,
): Promise<Record<string, number | string>> {
  const { durations, wallMs } = await pool(N, concurrency, async (index) => {
    if (direct) {
      await direct.createVolumeId({ name: `${prefix}-${index}`, size: 1 });
    } else {
      await csi.call('Controller', 'CreateVolume', createRequest(`${prefix}-${index}`), 60_000);
    }
  });
  return {
    path: direct ? 'REST API only (HeketiApiClient)' : 'CSI CreateVolume',
    callers: concurrency,
    creates: N,
    'p50 ms': Math.round(percentile(durations, 50)),
    'p99 ms': Math.round(percentile(durations, 99)),
    'max ms': Math.round(Math.max(...durations)),
    'volumes/s': Number(((N * 1000) / wallMs).toFixed(2)),
  };
}

/** The plugin is gone: retrying cannot help, the run is void. */
function assertAlive(processes: { child: { exitCode: number | null; signalCode: string | null } }[]): void {
  if (processes.some(({ child }) => child.exitCode !== null || child.signalCode !== null)) {
    throw new Error('a piragua process of the benchmark exited');
  }
}

/**
 * Every claim at once; each call cancelled at 50 ms and retried with its name until it is
 * answered OK, backing off like external-provisioner (doubling, here from 50 ms to 1 s). A stream
 * the transport itself reset (nghttp2 closes a session that sees RST_STREAMs faster than its
 * limit, which thousands of 50 ms cancellations are) is retried too, and counted apart.
 */
async function cancelledBurst(
  csi: CsiClient,
  heketi: HeketiClient,
  processes: Parameters<typeof assertAlive>[0],
): Promise<Record<string, number | string>> {
  let calls = 0;
  let failures = 0;
  let resets = 0;
  const ids = new Set<string>();
  const started = performance.now();
  const giveUpAt = Date.now() + 10 * 60_000;
  const perClaim = await Promise.all(
    Array.from({ length: BURST }, async (_, index) => {
      const begun = performance.now();
      for (let pause = 50; ; pause = Math.min(1000, pause * 2)) {
        calls += 1;
        try {
          const { volume } = await csi.call<{ volume: { volume_id: string } }>(
            'Controller',
            'CreateVolume',
            createRequest(`burst-${index}`),
            50,
          );
          ids.add(volume.volume_id);
          return performance.now() - begun;
        } catch (error) {
          const { code, details } = error as { code: status; details: string };
          const reset = code === status.INTERNAL && /RST_STREAM|Session closed/.test(details);
          resets += reset ? 1 : 0;
          if ((!RETRIED.has(code) && !reset) || Date.now() > giveUpAt) {
            failures += 1;
            console.error(`burst-${index}: ${(error as Error).message}`);
            return performance.now() - begun;
          }
          assertAlive(processes);
          await new Promise((resolve) => setTimeout(resolve, pause));
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  const { volumes } = (await heketi.request('GET', '/volumes')).json<{ volumes: string[] }>();
  let named = 0;
  for (const id of volumes) {
    const info = (await heketi.request('GET', `/volumes/${id}`)).json<{ name: string }>();
    named += /\/burst-\d+$/.test(info.name) ? 1 : 0;
  }
  return {
    claims: BURST,
    'calls (with retries)': calls,
    'transport resets': resets,
    failures,
    'distinct volume ids answered': ids.size,
    'burst volumes on the server': named,
    'claim p50 ms': Math.round(percentile(perClaim, 50)),
    'claim p99 ms': Math.round(percentile(perClaim, 99)),
    'wall s': Number((wallMs / 1000).toFixed(1)),
  };
}

async function readyPool(server: PiraguaProcess): Promise<number> {
  const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
  return valueOf(metrics, 'piragua_warm_pool_ready_directories', { size_gib: '1' }) ?? 0;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await new Promise((done) => setTimeout(done, 1000))) {
    if (Date.now() > deadline) {
      throw new Error('the warm pool did not fill in time');
    }
  }
}

async function main(): Promise<void> {
  await ensureGlusterd();
  const volume = await createGlusterTestVolume('bench_csi');
  const mountDir = benchMountDir();
  const dir = mkdtempSync(join(tmpdir(), 'bench-csi-'));
  const socketPath = join(dir, 'csi.sock');
  const rest = await PiraguaProcess.start(
    // Quotas are promises, not allocations: a few hundred 1 GiB volumes need not fit the test brick.
    glusterEnv(volume, mountDir, {
      PIRAGUA_OVERCOMMIT: '100',
      ...(POOL > 0 ? { PIRAGUA_WARM_POOL: `1:${POOL}` } : {}),
    }),
    { logFile: join(dir, 'rest.log') },
  );
  let controller: CsiProcess | undefined;
  let csi: CsiClient | undefined;
  let succeeded = false;
  try {
    controller = await CsiProcess.start(
      socketPath,
      {
        LOG_LEVEL: 'warn',
        PIRAGUA_CSI_MODE: 'controller',
        PIRAGUA_HEKETI_KEY: ADMIN_KEY,
        PIRAGUA_HEKETI_URL: rest.url,
      },
      { logFile: join(dir, 'csi.log') },
    );
    csi = new CsiClient(socketPath);
    const direct = new HeketiApiClient({ key: ADMIN_KEY, url: rest.url, user: 'admin' });
    // With a pool, every row starts with it full, so that each of its creates claims a pooled directory.
    const poolFull = () => (POOL > 0 ? until(async () => (await readyPool(rest)) >= POOL, 600_000) : Promise.resolve());
    const rows = [];
    for (const [prefix, concurrency, through] of [
      ['c1', 1, undefined],
      ['c16', 16, undefined],
      ['rest16', 16, direct],
    ] as const) {
      await poolFull();
      rows.push(await latencies(csi, prefix, concurrency, through));
    }
    direct.close();
    await poolFull();
    printTable(`CreateVolume through HeketiApiClient on glusterd${POOL > 0 ? `, warm pool 1:${POOL}` : ''}`, rows);
    const burst = await cancelledBurst(csi, new HeketiClient(rest.url, ADMIN_KEY), [rest, controller]);
    printTable('Burst: every call cancelled at 50 ms and retried with the same name', [burst]);
    writeResults(values.out, { burst, pool: POOL, rows });
    succeeded = burst.failures === 0 && burst['burst volumes on the server'] === BURST;
  } finally {
    csi?.close();
    await controller?.stop();
    await rest.stop();
    process.exitCode = succeeded ? 0 : 1;
    await removeBenchMounts(mountDir, volume);
    await volume.teardown();
    if (succeeded) {
      await rm(dir, { force: true, recursive: true });
    } else {
      console.log(`the run failed; logs kept in ${dir}`);
    }
  }
}

await main();
