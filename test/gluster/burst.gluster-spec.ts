import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { quotaLimits, unmount } from './gluster-shell.js';

describe('Bursts and backpressure on a real glusterd', () => {
  let gluster: GlusterTestVolume;
  let mountDir: string;
  let server: PiraguaProcess | undefined;

  const start = async (extra: Record<string, string> = {}) => {
    await server?.stop();
    server = await PiraguaProcess.start({
      PIRAGUA_BACKEND: 'gluster',
      PIRAGUA_GLUSTER_SERVER: gluster.server,
      PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
      PIRAGUA_MOUNT_DIR: mountDir,
      ...extra,
    });
    return server;
  };

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_burst');
    mountDir = mkdtempSync(join(tmpdir(), 'piragua-mounts-'));
  });

  afterAll(async () => {
    await server?.stop();
    await unmount(join(mountDir, gluster.volume));
    await gluster?.teardown();
  });

  it('should finish 100 creates from 8 concurrent clients, all of them, with no lock error leaking out', async () => {
    // Reconciliation passes run all through the burst: they must never take a running create for an interrupted one.
    const { url } = await start({ PIRAGUA_RECONCILE_SECONDS: '5' });
    const queue = Array.from({ length: 100 }, (_, index) => index);
    const results: { body: string; status: number }[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const client = new HeketiClient(url, ADMIN_KEY);
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          const { final } = await client.async('POST', '/volumes', { size: 1, name: `burst_${next}` });
          results.push({ body: final.body, status: final.status });
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`100 creates from 8 clients: ${seconds.toFixed(1)} s, ${(100 / seconds).toFixed(2)} volumes/s`);
    expect(results.filter((result) => result.status !== 200)).toEqual([]);
    expect(results.some((result) => /another transaction|locking failed/i.test(result.body))).toBe(false);
    const quotas = [...(await quotaLimits(gluster.volume)).keys()].filter((path) => /^\/[0-9a-f]{32}$/.test(path));
    expect(quotas).toHaveLength(100);
    // After a whole reconciliation pass started since the burst, every acknowledged volume is still there.
    await server!.untilMetricReaches(
      'piragua_reconciler_passes_total',
      (await server!.metric('piragua_reconciler_passes_total')) + 2,
    );
    const listed: string[] = (await new HeketiClient(url, ADMIN_KEY).request('GET', '/volumes')).json().volumes;
    expect(listed.sort()).toEqual(quotas.map((path) => path.slice(1)).sort());
    expect(server!.logs).not.toMatch(/interrupted-create/);
  });

  it('should answer 429 with a Retry-After beyond the operation limit, and never throttle reads', async () => {
    const { url } = await start({ HEKETI_MAX_INFLIGHT_OPERATIONS: '3' });
    const client = new HeketiClient(url, ADMIN_KEY);
    const [creates, reads] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, () => client.request('POST', '/volumes', { size: 1 }))),
      Promise.all(
        Array.from({ length: 40 }, (_, index) => client.request('GET', index % 2 ? '/volumes' : '/clusters')),
      ),
    ]);
    const throttled = creates.filter((response) => response.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const response of throttled) {
      expect(response.body).toBe('Server busy. Retry operation later.\n');
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect(creates.filter((response) => response.status !== 429).every((response) => response.status === 202)).toBe(
      true,
    );
    expect(reads.every((response) => response.status === 200)).toBe(true);
  });
});
