import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { parsePrometheusText, ParsedMetrics, valueOf } from '../prometheus-text.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { kubeletMount, quotaLimits, sh, unmount } from './gluster-shell.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

describe('Metrics against a real glusterd', () => {
  let gluster: GlusterTestVolume;
  let mountDir: string;
  let server: PiraguaProcess;
  let admin: HeketiClient;
  const kubeletMounts: string[] = [];

  const scrape = async (): Promise<ParsedMetrics> =>
    parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());

  /** Scrapes until `check` holds: quota usage reaches the metrics with the next background refresh. */
  const scrapeUntil = async (check: (metrics: ParsedMetrics) => boolean, what: string): Promise<ParsedMetrics> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const metrics = await scrape();
      if (check(metrics)) {
        return metrics;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_metrics');
    mountDir = mkdtempSync(join(tmpdir(), 'piragua-mounts-'));
    server = await PiraguaProcess.start({
      PIRAGUA_BACKEND: 'gluster',
      PIRAGUA_GLUSTER_SERVER: gluster.server,
      PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
      PIRAGUA_MOUNT_DIR: mountDir,
      PIRAGUA_REFRESH_SECONDS: '2',
    });
    admin = new HeketiClient(server.url, ADMIN_KEY);
  });

  afterAll(async () => {
    await server?.stop();
    for (const target of kubeletMounts) {
      await unmount(target);
    }
    await unmount(join(mountDir, gluster.volume));
    await gluster?.teardown();
  });

  it("should expose the topology under Heketi's names", async () => {
    const metrics = await scrape();
    const cluster = (await admin.request('GET', '/clusters')).json().clusters[0] as string;
    expect(valueOf(metrics, 'heketi_up')).toBe(1);
    expect(valueOf(metrics, 'heketi_cluster_count')).toBe(1);
    expect(valueOf(metrics, 'heketi_nodes_count', { cluster })).toBe(1);
    const device = { cluster, device: gluster.brickDir, storage_hostname: '127.0.0.2' };
    expect(valueOf(metrics, 'heketi_device_size_bytes', device)).toBe(
      valueOf(metrics, 'heketi_device_size', device)! * 1024,
    );
    expect(valueOf(metrics, 'heketi_device_size', device)).toBeGreaterThan(0);
  });

  it("should report a volume's quota limit and what was written into it, and the gluster commands that set it", async () => {
    const created = await admin.async('POST', '/volumes', { size: 1, name: 'metered' });
    expect(created.final.status, created.final.body).toBe(200);
    const volume = created.final.json();
    const labels = { cluster: volume.cluster, id: volume.id, name: 'metered' };

    // Written through a mount like a pod's; gluster's own quota list is the reference.
    const target = mkdtempSync(join(tmpdir(), 'piragua-pv-'));
    await kubeletMount(volume.mount.glusterfs.device, '127.0.0.2', target);
    kubeletMounts.push(target);
    const written = await sh('dd', ['if=/dev/zero', `of=${join(target, 'data')}`, 'bs=1M', 'count=6', 'conv=fsync']);
    expect(written.code, written.stderr).toBe(0);
    let usedByGluster: number;
    const deadline = Date.now() + 60_000;
    while (
      (usedByGluster = (await quotaLimits(gluster.volume)).get(`/${volume.id}`)?.usedBytes ?? 0) < 6 * MIB &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(usedByGluster).toBeGreaterThanOrEqual(6 * MIB);

    const metrics = await scrapeUntil(
      (current) => (valueOf(current, 'piragua_volume_quota_used_bytes', labels) ?? 0) >= 6 * MIB,
      'the written bytes to show in piragua_volume_quota_used_bytes',
    );
    expect(valueOf(metrics, 'piragua_volume_quota_limit_bytes', labels)).toBe(GIB);
    expect(valueOf(metrics, 'piragua_volume_quota_used_bytes', labels)).toBeLessThan(GIB);
    expect(valueOf(metrics, 'piragua_volume_quota_soft_limit_exceeded', labels)).toBe(0);
    expect(valueOf(metrics, 'heketi_volumes_count', { cluster: volume.cluster })).toBe(1);
    expect(valueOf(metrics, 'piragua_cluster_quota_committed_bytes', { cluster: volume.cluster })).toBe(GIB);
    const limitUsage = { outcome: 'ok', subcommand: 'volume quota limit-usage' };
    expect(valueOf(metrics, 'piragua_gluster_command_duration_seconds_count', limitUsage)).toBeGreaterThanOrEqual(1);
    expect(valueOf(metrics, 'piragua_gluster_command_duration_seconds_sum', limitUsage)).toBeGreaterThan(0);
    expect(valueOf(metrics, 'piragua_operations_total', { kind: 'create', result: 'succeeded' })).toBe(1);
  });

  it('should flag a volume past its soft limit', async () => {
    const volume = (await admin.async('POST', '/volumes', { size: 1, name: 'filled' })).final.json();
    const labels = { cluster: volume.cluster, id: volume.id, name: 'filled' };
    const target = mkdtempSync(join(tmpdir(), 'piragua-pv-'));
    await kubeletMount(volume.mount.glusterfs.device, '127.0.0.2', target);
    kubeletMounts.push(target);
    // Gluster's default soft limit is 80 % of the hard one.
    const written = await sh('dd', ['if=/dev/zero', `of=${join(target, 'data')}`, 'bs=4M', 'count=220', 'conv=fsync']);
    expect(written.code, written.stderr).toBe(0);
    const metrics = await scrapeUntil(
      (current) => valueOf(current, 'piragua_volume_quota_soft_limit_exceeded', labels) === 1,
      'piragua_volume_quota_soft_limit_exceeded to turn 1',
    );
    expect(valueOf(metrics, 'piragua_volume_quota_used_bytes', labels)).toBeGreaterThan(0.8 * GIB);
    expect((await quotaLimits(gluster.volume)).get(`/${volume.id}`)?.softLimitExceeded).toBe(true);
  });
});
