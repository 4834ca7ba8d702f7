import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { listedLimit, quotaLimits, sh, unmount } from './gluster-shell.js';

const readiness = async (server: PiraguaProcess) => {
  const response = await fetch(`${server.url}/health/ready`);
  return {
    body: (await response.json()) as { details: Record<string, { message?: string; status: string }> },
    status: response.status,
  };
};

describe('Several Gluster volumes, quota switched off, a stale mount', () => {
  let first: GlusterTestVolume;
  let second: GlusterTestVolume;
  let mountDir: string;
  let server: PiraguaProcess | undefined;

  const start = async (volumes: GlusterTestVolume[], extra: Record<string, string> = {}) => {
    await server?.stop();
    server = await PiraguaProcess.start(
      {
        PIRAGUA_BACKEND: 'gluster',
        PIRAGUA_GLUSTER_SERVER: '127.0.0.2',
        PIRAGUA_GLUSTER_VOLUMES: volumes.map((volume) => volume.volume).join(','),
        PIRAGUA_MOUNT_DIR: mountDir,
        PIRAGUA_REFRESH_SECONDS: '2',
        ...extra,
      },
      { waitReady: false },
    );
    return new HeketiClient(server.url, ADMIN_KEY);
  };

  const clusterIdOf = async (volume: GlusterTestVolume) => {
    const { stdout } = await sh('gluster', ['--mode=script', 'volume', 'info', volume.volume]);
    return /Volume ID: ([0-9a-f-]+)/.exec(stdout)![1].replaceAll('-', '');
  };

  beforeAll(async () => {
    [first, second] = await Promise.all([createGlusterTestVolume('piragua_a'), createGlusterTestVolume('piragua_b')]);
    mountDir = mkdtempSync(join(tmpdir(), 'piragua-mounts-'));
  });

  afterAll(async () => {
    await server?.stop();
    for (const volume of [first, second]) {
      await unmount(join(mountDir, volume?.volume ?? 'none'));
      await volume?.teardown();
    }
  });

  it('should place a volume where asked, otherwise on the volume with the most room', async () => {
    const admin = await start([first, second]);
    const [firstId, secondId] = [await clusterIdOf(first), await clusterIdOf(second)];
    expect((await admin.request('GET', '/clusters')).json().clusters).toEqual([firstId, secondId].sort());

    const pinned = await admin.async('POST', '/volumes', { size: 100, clusters: [firstId] });
    expect(pinned.final.json().cluster).toBe(firstId);
    expect(pinned.final.json().name).toMatch(new RegExp(`^${first.volume}/`));
    expect(await listedLimit(first.volume, `/${pinned.final.json().id}`, 100 * 1024 ** 3)).toBe(100 * 1024 ** 3);

    // The first volume now has 100 GiB promised, so the second has more room left.
    const placed = await admin.async('POST', '/volumes', { size: 1 });
    expect(placed.final.json().cluster).toBe(secondId);
    expect((await admin.request('GET', `/clusters/${secondId}`)).json().volumes).toEqual([placed.final.json().id]);
  });

  it('should refuse what exceeds capacity times PIRAGUA_OVERCOMMIT', async () => {
    const admin = await start([first, second], { PIRAGUA_OVERCOMMIT: '0.1' });
    const capacityGiB = Math.floor(
      ((await sh('df', ['-B1', '--output=size', join(mountDir, first.volume)])).stdout
        .trim()
        .split('\n')[1] as unknown as number) /
        1024 ** 3,
    );
    const tooBig = Math.ceil(capacityGiB * 0.1) + 1;
    const refused = await admin.request('POST', '/volumes', { size: tooBig });
    expect(refused).toMatchObject({ body: 'Failed to allocate new volume: No space\n', status: 500 });
  });

  it('should report a stale mount, remount it and keep working', async () => {
    const admin = await start([first]);
    const mountPoint = join(mountDir, first.volume);
    // Kill the FUSE client behind piragua's mount: the mount point now answers ENOTCONN.
    const { stdout } = await sh('pgrep', ['-f', `glusterfs.*${mountPoint}`]);
    expect(stdout.trim()).not.toBe('');
    await sh('kill', ['-9', ...stdout.trim().split('\n')]);
    const stale = await sh('stat', [mountPoint]);
    expect(stale.stderr).toContain('Transport endpoint is not connected');

    const down = await readiness(server!);
    expect(down.status).toBe(503);
    expect(down.body.details[`${first.volume}:mount`]).toMatchObject({ status: 'down' });

    await server!.waitFor('/health/ready', 30_000);
    const created = await admin.async('POST', '/volumes', { size: 1, name: 'after_remount' });
    expect(created.final.status, created.final.body).toBe(200);
  });

  it('should say that quota is off, in readiness and on create, and enable it only when told to', async () => {
    await sh('gluster', ['--mode=script', 'volume', 'quota', second.volume, 'disable']);
    let admin = await start([second]);
    const down = await readiness(server!);
    expect(down.status).toBe(503);
    expect(down.body.details[`${second.volume}:quota`]).toMatchObject({ status: 'down' });
    expect(down.body.details[`${second.volume}:quota`]?.message).toContain(
      `gluster volume quota ${second.volume} enable`,
    );

    const refused = await admin.request('POST', '/volumes', { size: 1 });
    expect(refused.status).toBe(500);
    expect(refused.body).toBe(
      `Failed to allocate new volume: quota is not enabled on Gluster volume ${second.volume}: run 'gluster volume quota ${second.volume} enable', or set PIRAGUA_ENABLE_QUOTA=true\n`,
    );

    admin = await start([second], { PIRAGUA_ENABLE_QUOTA: 'true' });
    await server!.waitFor('/health/ready');
    const created = await admin.async('POST', '/volumes', { size: 1 });
    expect(created.final.status, created.final.body).toBe(200);
    expect((await quotaLimits(second.volume)).has(`/${created.final.json().id}`)).toBe(true);
  });
});
