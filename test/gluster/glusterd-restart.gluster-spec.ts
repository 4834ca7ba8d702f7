import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { createGlusterTestVolume, ensureGlusterd, GlusterTestVolume } from './gluster-volume.fixture.js';
import { eventually, listedLimit, sh, unmount } from './gluster-shell.js';

const GIB = 1024 ** 3;

/** Quota changes go through one long-lived `gluster --mode=script --xml` per volume (GlusterShell). */
describe('Quota changes through the gluster shell, on a real glusterd', () => {
  let gluster: GlusterTestVolume;
  let mountDir: string;
  let server: PiraguaProcess;
  let admin: HeketiClient;

  /** The gluster shells piragua runs now. */
  const shells = async () =>
    (await sh('pgrep', ['-P', String(server.child.pid), '-f', '^gluster --mode=script --xml$'])).stdout
      .split('\n')
      .filter(Boolean);
  const glusterdAnswers = async () => (await sh('gluster', ['--mode=script', 'peer', 'status'])).code === 0;
  const stopGlusterd = async () => {
    await sh('pkill', ['-x', 'glusterd']);
    await eventually(async () => !(await glusterdAnswers()), 30_000, 'glusterd to stop');
  };
  const create = async (name: string) => {
    const { final } = await admin.async('POST', '/volumes', { name, size: 1 });
    return final;
  };

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_shell');
    mountDir = mkdtempSync(join(tmpdir(), 'piragua-mounts-'));
    server = await PiraguaProcess.start({
      PIRAGUA_BACKEND: 'gluster',
      PIRAGUA_GLUSTER_SERVER: gluster.server,
      PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
      PIRAGUA_MOUNT_DIR: mountDir,
    });
    admin = new HeketiClient(server.url, ADMIN_KEY);
  });

  afterAll(async () => {
    // Whatever happened above, the next spec needs glusterd.
    await ensureGlusterd();
    await server?.stop();
    await unmount(join(mountDir, gluster.volume));
    await gluster?.teardown();
  });

  it("should run one volume's quota changes through one gluster shell", async () => {
    const limited: string[] = [];
    const seen = new Set<string>();
    for (const name of ['first', 'second', 'third']) {
      const created = await create(name);
      expect(created.status, created.body).toBe(200);
      limited.push(created.json().id);
      (await shells()).forEach((pid) => seen.add(pid));
    }

    expect(seen.size).toBe(1);
    for (const id of limited) {
      expect(await listedLimit(gluster.volume, `/${id}`, GIB)).toBe(GIB);
    }
  });

  it('should go on creating volumes after glusterd restarted under its shell', async () => {
    // A create of its own starts the shell, so this test also runs alone.
    expect((await create('before-restart')).status).toBe(200);
    const [before] = await shells();
    expect(before).toBeDefined();

    await stopGlusterd();
    await ensureGlusterd();
    const created = await create('after-restart');

    expect(created.status, created.body).toBe(200);
    expect(await listedLimit(gluster.volume, `/${created.json().id}`, GIB)).toBe(GIB);
  });

  it('should fail a create while glusterd is down instead of waiting for it, leave no directory, and create again once it is back', async () => {
    await stopGlusterd();
    let failed;
    try {
      const started = Date.now();
      failed = await create('while-down');
      // The shell waits 10 s for an answer; the command then runs on its own and fails at once.
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await ensureGlusterd();
    }

    expect(failed.status).toBe(500);
    expect(failed.body).toMatch(/^Failed to create volume: set quota: /);
    const listed = (await admin.request('GET', '/volumes')).json().volumes as string[];
    const names = await Promise.all(
      listed.map(async (id) => (await admin.request('GET', `/volumes/${id}`)).json().name as string),
    );
    expect(names).not.toContain('while-down');
    // Its directory went to the trash with the rollback: every volume directory left is a listed volume.
    expect(
      readdirSync(join(mountDir, gluster.volume))
        .filter((entry) => /^[0-9a-f]{32}$/.test(entry))
        .sort(),
    ).toEqual([...listed].sort());
    const again = await create('while-down');
    expect(again.status, again.body).toBe(200);
    expect(existsSync(join(mountDir, gluster.volume, again.json().id, 'while-down'))).toBe(true);
  });
});
