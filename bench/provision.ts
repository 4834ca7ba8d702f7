/**
 * Provisioning on a real glusterd: piragua's creates and deletes through the HTTP API, against a
 * serial loop of the raw commands they stand for, measured in the same run.
 *
 *   npm run bench:gluster -- [--n 100]
 */
import { mkdir, rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HeketiClient } from '../test/heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../test/piragua-process.js';
import { createGlusterTestVolume, ensureGlusterd } from '../test/gluster/gluster-volume.fixture.js';
import { sh, unmount } from '../test/gluster/gluster-shell.js';
import { median, pool, printTable, writeResults } from './stats.js';

const { values } = parseArgs({ options: { n: { default: '100', type: 'string' }, out: { default: 'bench/results/provision.json', type: 'string' } } });
const N = Number(values.n);

async function gluster(args: string[]): Promise<void> {
  const result = await sh('gluster', ['--mode=script', ...args]);
  if (result.code !== 0 || /<opRet>-/.test(result.stdout)) {
    throw new Error(`gluster ${args.join(' ')}: ${result.stderr || result.stdout}`);
  }
}

async function main(): Promise<void> {
  await ensureGlusterd();
  const volume = await createGlusterTestVolume('piragua_bench');
  const rawMount = mkdtempSync(join(tmpdir(), 'bench-raw-'));
  const mountDir = mkdtempSync(join(tmpdir(), 'bench-mounts-'));
  await sh('mount', ['-t', 'glusterfs', `${volume.server}:/${volume.volume}`, rawMount]);
  const rows: Record<string, string | number>[] = [];
  const record = (name: string, concurrency: number, result: { durations: number[]; wallMs: number }) => {
    const row = {
      concurrency,
      'median ms': Math.round(median(result.durations)),
      name,
      'volumes/s': Number(((result.durations.length * 1000) / result.wallMs).toFixed(2)),
      'wall s': Number((result.wallMs / 1000).toFixed(1)),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    return row;
  };
  let server: PiraguaProcess | undefined;
  try {
    const rawCreate = record('raw mkdir + limit-usage (serial)', 1, await pool(N, 1, async (index) => {
      await mkdir(join(rawMount, `raw${index}`, 'data'), { recursive: true });
      await gluster(['volume', 'quota', volume.volume, 'limit-usage', `/raw${index}`, '1GB']);
    }));
    const rawDelete = record('raw quota remove + rm -rf (serial)', 1, await pool(N, 1, async (index) => {
      await gluster(['volume', 'quota', volume.volume, 'remove', `/raw${index}`]);
      await rm(join(rawMount, `raw${index}`), { force: true, recursive: true });
    }));

    server = await PiraguaProcess.start({
      HEKETI_MAX_INFLIGHT_OPERATIONS: '64',
      PIRAGUA_BACKEND: 'gluster',
      PIRAGUA_GLUSTER_SERVER: volume.server,
      PIRAGUA_GLUSTER_VOLUMES: volume.volume,
      PIRAGUA_MOUNT_DIR: mountDir,
    });
    const client = new HeketiClient(server.url, ADMIN_KEY);
    const results: Record<string, ReturnType<typeof record>> = {};
    for (const [label, concurrency, pollMs] of [
      ['piragua create, Heketi client (poll 400 ms)', 1, 400],
      ['piragua create, poll 10 ms (server latency)', 1, 10],
      ['piragua create, Heketi client (poll 400 ms)', 8, 400],
      ['piragua create, Heketi client (poll 400 ms)', 16, 400],
    ] as const) {
      const ids: string[] = [];
      results[`create c${concurrency} p${pollMs}`] = record(label, concurrency, await pool(N, concurrency, async () => {
        const { final } = await client.async('POST', '/volumes', { size: 1 }, pollMs);
        if (final.status !== 200) {
          throw new Error(`create failed: ${final.status} ${final.body}`);
        }
        ids.push(final.json().id);
      }));
      const deleteLabel = label.replace('create', 'delete');
      results[`delete c${concurrency} p${pollMs}`] = record(deleteLabel, concurrency, await pool(ids.length, concurrency, async (index) => {
        const { final } = await client.async('DELETE', `/volumes/${ids[index]}`, undefined, pollMs);
        if (final.status !== 204) {
          throw new Error(`delete failed: ${final.status} ${final.body}`);
        }
      }));
    }
    const summary = {
      'create overhead at c1 (median ms, 10 ms polling)': results['create c1 p10']!['median ms'] - rawCreate['median ms'],
      'create throughput c8 / raw serial': Number((results['create c8 p400']!['volumes/s'] / rawCreate['volumes/s']).toFixed(2)),
      'create throughput c16 / raw serial': Number((results['create c16 p400']!['volumes/s'] / rawCreate['volumes/s']).toFixed(2)),
      'delete overhead at c1 (median ms, 10 ms polling)': results['delete c1 p10']!['median ms'] - rawDelete['median ms'],
      'delete throughput c16 / raw serial': Number((results['delete c16 p400']!['volumes/s'] / rawDelete['volumes/s']).toFixed(2)),
    };
    printTable(`Provisioning, N = ${N} per row`, rows);
    printTable('Ratios measured in this run', [summary]);
    writeResults(values.out!, { n: N, rows, summary });
  } finally {
    await server?.stop();
    await unmount(join(mountDir, volume.volume));
    await unmount(rawMount);
    await volume.teardown();
  }
}

await main();
