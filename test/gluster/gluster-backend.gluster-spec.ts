import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { eventually, listedLimit, quotaLimits, sh, unmount } from './gluster-shell.js';
import { expectOneGiBEnforced } from './kubelet-pv.js';

const GIB = 1024 ** 3;

describe('Gluster backend against a real glusterd', () => {
  let gluster: GlusterTestVolume;
  let mountDir: string;
  let server: PiraguaProcess;
  let admin: HeketiClient;
  const kubeletMounts: string[] = [];

  const env = () => ({
    PIRAGUA_BACKEND: 'gluster',
    PIRAGUA_GLUSTER_SERVER: gluster.server,
    PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
    PIRAGUA_MOUNT_DIR: mountDir,
    PIRAGUA_REFRESH_SECONDS: '2',
  });
  const volumeRoot = () => join(mountDir, gluster.volume);

  const restart = async (extra: Record<string, string> = {}) => {
    await server?.stop();
    server = await PiraguaProcess.start({ ...env(), ...extra });
    admin = new HeketiClient(server.url, ADMIN_KEY);
  };

  const create = async (body: object) => {
    const result = await admin.async('POST', '/volumes', body);
    expect(result.final.status, result.final.body).toBe(200);
    return result.final.json();
  };

  beforeAll(async () => {
    gluster = await createGlusterTestVolume();
    mountDir = mkdtempSync(join(tmpdir(), 'piragua-mounts-'));
    await restart();
  });

  afterAll(async () => {
    await server?.stop();
    if (process.env.PIRAGUA_TEST_DUMP_LOGS) {
      console.log(server?.logs);
    }
    for (const target of kubeletMounts) {
      await unmount(target);
    }
    await unmount(volumeRoot());
    await gluster?.teardown();
  });

  it('should present the Gluster volume as a cluster and the pool as its nodes', async () => {
    const { stdout } = await sh('gluster', ['--mode=script', 'volume', 'info', gluster.volume]);
    const volumeId = /Volume ID: ([0-9a-f-]+)/.exec(stdout)![1].replaceAll('-', '');
    expect((await admin.request('GET', '/clusters')).json()).toEqual({ clusters: [volumeId] });
    const cluster = (await admin.request('GET', `/clusters/${volumeId}`)).json();
    expect(cluster.gluster).toEqual({ type: 'Distribute', volume: gluster.volume });
    const node = (await admin.request('GET', `/nodes/${cluster.nodes[0]}`)).json();
    expect(node.hostnames.storage).toEqual(['127.0.0.2']);
    expect(node.devices).toHaveLength(1);
    expect(node.devices[0].name).toBe(gluster.brickDir);
    expect(node.devices[0].storage.total).toBeGreaterThan(0);
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(Object.keys(((await ready.json()) as { details: object }).details)).toEqual([
      'glusterd',
      `${gluster.volume}:started`,
      `${gluster.volume}:quota`,
      `${gluster.volume}:mount`,
    ]);
  });

  it('should create, enforce, expand and delete a quota-limited volume mounted as kubelet does', async () => {
    const volume = await create({
      size: 1,
      gid: 2001,
      durability: { type: 'replicate', replicate: { replica: 3 } },
      snapshot: { enable: true, factor: 1 },
    });
    expect(volume.name).toBe(`${gluster.volume}/${volume.id}/vol_${volume.id}`);
    expect(volume.mount.glusterfs.device).toBe(`127.0.0.2:${volume.name}`);

    // 1. The directory and its quota, as gluster reports them.
    const directory = statSync(join(volumeRoot(), volume.id, `vol_${volume.id}`));
    expect(directory.gid).toBe(2001);
    expect(directory.mode & 0o7777).toBe(0o2775);
    expect(await listedLimit(gluster.volume, `/${volume.id}`, GIB)).toBe(GIB);

    // 2. Mounted like a PV: df shows the quota, and writing past it fails with EDQUOT.
    const target = await expectOneGiBEnforced(volume.mount.glusterfs.device);
    kubeletMounts.push(target);

    // 3. Expand by 1 GiB: the limit follows and more can be written.
    const expanded = await admin.async('POST', `/volumes/${volume.id}/expand`, { expand_size: 1 });
    expect(expanded.final.json().size).toBe(2);
    expect(await listedLimit(gluster.volume, `/${volume.id}`, 2 * GIB)).toBe(2 * GIB);
    const more = await sh('dd', ['if=/dev/zero', `of=${join(target, 'more')}`, 'bs=4M', 'count=64', 'conv=fsync']);
    expect(more.code, more.stderr).toBe(0);
    await unmount(target);
    kubeletMounts.pop();

    // 5. Delete: 204 and gone from the namespace at once; its quota, moved into the trash with the
    // directory, is removed by the background purge.
    const deleted = await admin.async('DELETE', `/volumes/${volume.id}`);
    expect(deleted.final.status).toBe(204);
    expect(existsSync(join(volumeRoot(), volume.id))).toBe(false);
    expect((await quotaLimits(gluster.volume)).has(`/${volume.id}`)).toBe(false);
    expect((await admin.request('GET', `/volumes/${volume.id}`)).status).toBe(404);
    await eventually(
      async () => ![...(await quotaLimits(gluster.volume)).keys()].some((path) => path.includes(volume.id)),
      30_000,
      'the trashed quota to be removed',
    );
  });

  it('should purge a deleted directory of thousands of files in the background', async () => {
    const volume = await create({ size: 1, name: 'many_files' });
    const data = join(volumeRoot(), volume.id, 'many_files');
    for (let dir = 0; dir < 10; dir += 1) {
      mkdirSync(join(data, `d${dir}`));
      for (let file = 0; file < 300; file += 1) {
        writeFileSync(join(data, `d${dir}`, `f${file}`), 'x');
      }
    }
    const deleted = await admin.async('DELETE', `/volumes/${volume.id}`);
    expect(deleted.final.status).toBe(204);
    expect(existsSync(join(volumeRoot(), volume.id))).toBe(false);
    await eventually(
      () => readdirSync(join(volumeRoot(), '.piragua', 'trash')).length === 0,
      120_000,
      'the trash to be purged',
    );
    expect([...(await quotaLimits(gluster.volume)).keys()].filter((path) => path.startsWith('/.piragua/'))).toEqual([]);
  });

  it('should create ten volumes at once without leaking glusterd lock errors', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => admin.async('POST', '/volumes', { size: 1, name: `burst_${index}` })),
    );
    for (const result of results) {
      expect(result.final.status, result.final.body).toBe(200);
    }
    for (const result of results) {
      expect(await listedLimit(gluster.volume, `/${result.final.json().id}`, GIB)).toBe(GIB);
    }
  });

  it('should refuse to place more than the volume can hold', async () => {
    const response = await admin.request('POST', '/volumes', { size: 100_000 });
    expect(response.status).toBe(500);
    expect(response.body).toBe('Failed to allocate new volume: No space\n');
  });

  it('should examine and repair what was changed behind its back', async () => {
    const broken = await create({ size: 1, name: 'quota_removed_by_hand' });
    await sh('gluster', ['--mode=script', 'volume', 'quota', gluster.volume, 'remove', `/${broken.id}`]);
    const strayId = 'abcdefabcdefabcdefabcdefabcdef12';
    mkdirSync(join(volumeRoot(), strayId, 'data'), { recursive: true });

    const examined = await admin.request('GET', '/internal/state/examine/gluster');
    expect(examined.status).toBe(200);
    const findings = examined.json().clusters[0].findings;
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'missing-quota', repaired: false, volumeId: broken.id }),
        expect.objectContaining({ kind: 'directory-without-record', repaired: false, volumeId: strayId }),
      ]),
    );
    expect(existsSync(join(volumeRoot(), strayId))).toBe(true);

    const user = await new HeketiClient(server.url, 'e2e-user-secret', 'user').request(
      'POST',
      '/internal/state/repair/gluster',
    );
    expect(user.status).toBe(401);
    const repaired = await admin.request('POST', '/internal/state/repair/gluster');
    expect(repaired.json().clusters[0].findings.every((finding: { repaired: boolean }) => finding.repaired)).toBe(true);
    expect(await listedLimit(gluster.volume, `/${broken.id}`, GIB)).toBe(GIB);
    expect(existsSync(join(volumeRoot(), strayId))).toBe(false);
    expect((await admin.request('GET', '/internal/state/examine/gluster')).json().clusters[0].findings).toEqual([]);
  });

  describe('after kill -9 in the middle of an operation', () => {
    const consistent = async () => {
      // Deleted volumes' quotas go with their directories into the trash until the purge.
      await eventually(
        () => readdirSync(join(volumeRoot(), '.piragua', 'trash')).length === 0,
        60_000,
        'the trash to be purged',
      );
      const listed: string[] = (await admin.request('GET', '/volumes')).json().volumes;
      const directories = readdirSync(volumeRoot())
        .filter((name) => /^[0-9a-f]{32}$/.test(name))
        .sort();
      const quotas = [...(await quotaLimits(gluster.volume)).keys()].map((path) => path.slice(1)).sort();
      expect(directories).toEqual([...listed].sort());
      expect(quotas).toEqual([...listed].sort());
      return listed;
    };

    /**
     * Sends a request to an instance that kills itself at `step`, then restarts it normally. A
     * crash before the 202 drops the connection: the client saw no answer and would retry.
     */
    const crashDuring = async (step: string, method: string, path: string, body?: object) => {
      await restart({ PIRAGUA_TEST_CRASH_AT: step });
      const accepted = await admin.request(method, path, body).catch(() => undefined);
      await eventually(() => server.child.signalCode === 'SIGKILL', 30_000, 'the crash');
      await restart();
      return accepted;
    };

    it.each(['create:operation', 'create:directory', 'create:quota', 'create:ready'])(
      'should leave no half-made volume when killed after %s',
      async (step) => {
        const accepted = await crashDuring(step, 'POST', '/volumes', {
          size: 1,
          name: `crash_${step.replace(':', '_')}`,
        });
        const listed = await consistent();
        if (step === 'create:operation') {
          expect(accepted).toBeUndefined();
          // Nothing was acknowledged, and the name is free again.
          expect(
            (await admin.async('POST', '/volumes', { size: 1, name: 'crash_create_operation' })).final.status,
          ).toBe(200);
          return;
        }
        expect(accepted?.status).toBe(202);
        const poll = await admin.request('GET', accepted!.headers.get('location')!);
        if (step === 'create:ready') {
          // Acknowledged as ready on the backend: kept, and the client still gets its volume.
          expect(poll.status).toBe(303);
          expect(listed).toContain(poll.headers.get('location')!.split('/').pop());
        } else {
          expect(poll.status).toBe(500);
          expect(poll.body).toMatch(/^Failed to create volume: the piragua instance running it stopped/);
        }
      },
    );

    it.each(['expand:marked', 'expand:quota'])(
      'should settle an expand killed after %s to what gluster enforces',
      async (step) => {
        const volume = await create({ size: 1, name: `grown_${step.replace(':', '_')}` });
        const accepted = await crashDuring(step, 'POST', `/volumes/${volume.id}/expand`, { expand_size: 2 });
        await consistent();
        const limit = (await quotaLimits(gluster.volume)).get(`/${volume.id}`)!.hardLimitBytes;
        expect((await admin.request('GET', `/volumes/${volume.id}`)).json().size * GIB).toBe(limit);
        if (step === 'expand:quota') {
          expect(limit).toBe(3 * GIB);
          expect((await admin.request('GET', accepted!.headers.get('location')!)).status).toBe(303);
        } else {
          expect(accepted).toBeUndefined();
          expect(limit).toBe(GIB);
        }
        // The volume is not left locked: it can be changed again.
        expect((await admin.async('POST', `/volumes/${volume.id}/expand`, { expand_size: 1 })).final.status).toBe(200);
      },
    );

    it.each(['delete:marked', 'delete:trash'])('should finish a delete killed after %s', async (step) => {
      const volume = await create({ size: 1, name: `doomed_${step.replace(':', '_')}` });
      const accepted = await crashDuring(step, 'DELETE', `/volumes/${volume.id}`);
      expect(await consistent()).not.toContain(volume.id);
      if (step === 'delete:marked') {
        // Marked for deletion but never acknowledged: finished all the same, as the client asked.
        expect(accepted).toBeUndefined();
      } else {
        expect((await admin.request('GET', accepted!.headers.get('location')!)).status).toBe(204);
      }
    });
  });
});
