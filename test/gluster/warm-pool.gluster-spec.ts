import { mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { parsePrometheusText, valueOf } from '../prometheus-text.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { eventually, listedLimit, quotaLimits, sh, unmount } from './gluster-shell.js';
import { expectOneGiBEnforced } from './kubelet-pv.js';

const GIB = 1024 ** 3;
const INSTANCE = 'pool-node';

describe('The warm pool on a real glusterd', () => {
  let gluster: GlusterTestVolume;
  let mountDir: string;
  let server: PiraguaProcess | undefined;
  let admin: HeketiClient;
  const kubeletMounts: string[] = [];

  const volumeRoot = () => join(mountDir, gluster.volume);
  const pooledQuotas = async () =>
    [...(await quotaLimits(gluster.volume)).entries()].filter(([path]) => path.startsWith('/.piragua/pool/1/'));
  /**
   * Waits for piragua's own count of ready pooled directories, then checks gluster lists them. Not
   * by polling `quota list`: each list takes glusterd's volume lock, which the refill's
   * `limit-usage` commands then wait for.
   */
  const untilPoolFull = async () => {
    await server!.untilMetricReaches('piragua_warm_pool_ready_directories', 3);
    expect(await pooledQuotas()).toHaveLength(3);
  };
  const restart = async (extra: Record<string, string> = {}) => {
    await server?.stop();
    server = await PiraguaProcess.start({
      ...extra,
      PIRAGUA_BACKEND: 'gluster',
      PIRAGUA_GLUSTER_SERVER: gluster.server,
      PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
      PIRAGUA_INSTANCE_ID: INSTANCE,
      PIRAGUA_MOUNT_DIR: mountDir,
      PIRAGUA_REFRESH_SECONDS: '2',
      PIRAGUA_WARM_POOL: '1:3',
    });
    admin = new HeketiClient(server.url, ADMIN_KEY);
  };

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_pool');
    mountDir = mkdtempSync(join(tmpdir(), 'piragua-mounts-'));
    await restart();
  });

  afterAll(async () => {
    await server?.stop();
    for (const target of kubeletMounts) {
      await unmount(target);
    }
    await unmount(volumeRoot());
    await gluster?.teardown();
  });

  it('should fill the pool with directories that have their quota, and show it in the metrics', async () => {
    await eventually(async () => (await pooledQuotas()).length === 3, 60_000, 'three pooled directories');
    expect((await pooledQuotas()).map(([, limit]) => limit.hardLimitBytes)).toEqual([GIB, GIB, GIB]);
    expect(readdirSync(join(volumeRoot(), '.piragua', 'pool', '1'))).toHaveLength(3);
    await eventually(
      async () => {
        const metrics = parsePrometheusText(await (await fetch(`${server!.url}/metrics`)).text());
        return valueOf(metrics, 'piragua_warm_pool_ready_directories', { size_gib: '1' }) === 3;
      },
      10_000,
      'the metric to show three ready directories',
    );
  });

  it('should give a create a pooled directory whose quota followed it and is enforced, then refill', async () => {
    const pooledBefore = new Set((await pooledQuotas()).map(([path]) => path));
    const created = await admin.async('POST', '/volumes', { gid: 2001, name: 'pooled', size: 1 });
    expect(created.final.status, created.final.body).toBe(200);
    const volume = created.final.json();

    // One of the pooled directories became the volume: its limit is now listed under the volume's path.
    expect(await listedLimit(gluster.volume, `/${volume.id}`, GIB)).toBe(GIB);
    const limits = await quotaLimits(gluster.volume);
    expect([...pooledBefore].filter((path) => !limits.has(path))).toHaveLength(1);
    const directory = statSync(join(volumeRoot(), volume.id, 'pooled'));
    expect(directory.gid).toBe(2001);
    expect(directory.mode & 0o7777).toBe(0o2775);

    const target = await expectOneGiBEnforced(volume.mount.glusterfs.device);
    kubeletMounts.push(target);

    await untilPoolFull();
  });

  it('should create sizes the pool does not hold the usual way', async () => {
    const created = await admin.async('POST', '/volumes', { size: 2 });
    expect(created.final.status, created.final.body).toBe(200);
    expect(await listedLimit(gluster.volume, `/${created.final.json().id}`, 2 * GIB)).toBe(2 * GIB);
  });

  it('should serve a burst larger than the pool, every volume with its quota', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => admin.async('POST', '/volumes', { size: 1 })));
    for (const result of results) {
      expect(result.final.status, result.final.body).toBe(200);
      expect(await listedLimit(gluster.volume, `/${result.final.json().id}`, GIB)).toBe(GIB);
    }
    expect((await admin.request('GET', '/internal/state/examine/gluster')).json().clusters[0].findings).toEqual([]);
  });

  it('should roll back a create killed after it claimed a pooled directory, leaving no quota on the volume path', async () => {
    await untilPoolFull();
    await restart({ PIRAGUA_TEST_CRASH_AT: 'create:directory' });
    const accepted = await admin.request('POST', '/volumes', { name: 'crashed', size: 1 });
    expect(accepted.status).toBe(202);
    await eventually(() => server!.child.signalCode === 'SIGKILL', 30_000, 'the crash');
    await restart();

    const poll = await admin.request('GET', accepted.headers.get('location')!);
    expect(poll.status).toBe(500);
    const listed: string[] = (await admin.request('GET', '/volumes')).json().volumes;
    await eventually(
      () => readdirSync(join(volumeRoot(), '.piragua', 'trash')).length === 0,
      60_000,
      'the trash to be purged',
    );
    const volumePaths = [...(await quotaLimits(gluster.volume)).keys()]
      .filter((path) => /^\/[0-9a-f]{32}$/.test(path))
      .map((path) => path.slice(1));
    expect(volumePaths.sort()).toEqual([...listed].sort());
    expect(
      readdirSync(volumeRoot())
        .filter((name) => /^[0-9a-f]{32}$/.test(name))
        .sort(),
    ).toEqual([...listed].sort());
  });

  it('should trash, on restart, a pooled directory it was making when it stopped, quota and all', async () => {
    const leftover = `${INSTANCE}@00000000deadbeef`;
    await server!.stop();
    mkdirSync(join(volumeRoot(), '.piragua', 'pool-new', leftover));
    const limited = await sh('gluster', [
      '--mode=script',
      'volume',
      'quota',
      gluster.volume,
      'limit-usage',
      `/.piragua/pool-new/${leftover}`,
      '1GB',
    ]);
    expect(limited.code, limited.stderr).toBe(0);

    await restart();

    await eventually(
      async () =>
        readdirSync(join(volumeRoot(), '.piragua', 'pool-new')).length === 0 &&
        ![...(await quotaLimits(gluster.volume)).keys()].some((path) => path.includes(leftover)),
      60_000,
      'the unfinished directory and its quota to be gone',
    );
    await eventually(
      () => readdirSync(join(volumeRoot(), '.piragua', 'trash')).length === 0,
      60_000,
      'the trash to be purged',
    );
  });

  it('should leave no quota behind when the pooled volume is deleted', async () => {
    const volumes: string[] = (await admin.request('GET', '/volumes')).json().volumes;
    for (const target of kubeletMounts.splice(0)) {
      await unmount(target);
    }
    for (const id of volumes) {
      expect((await admin.async('DELETE', `/volumes/${id}`)).final.status).toBe(204);
    }
    await eventually(
      async () => [...(await quotaLimits(gluster.volume)).keys()].every((path) => path.startsWith('/.piragua/pool/')),
      60_000,
      'only pooled quotas to remain',
    );
  });
});
