import { spawn } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { freePort } from '../piragua-process.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { listedLimit, quotaLimits, sh, unmount } from './gluster-shell.js';

const GIB = 1024 ** 3;
const RUST_KEY = 'the-rust-piragua-secret';
const LEGACY_UUID = '3f2b1c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d';
const LEGACY_ID = LEGACY_UUID.replaceAll('-', '');

describe('Upgrading from the Rust piragua', () => {
  let gluster: GlusterTestVolume;
  let stagingMount: string;
  let piragua: ReturnType<typeof spawn> | undefined;
  let output = '';
  let client: HeketiClient;
  const defaultMount = () => join('/var/lib/piragua/mounts', gluster.volume);

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_rust');
    // The tree the Rust piragua left: /<uuid-with-dashes>/<name>, quota on the top directory.
    stagingMount = mkdtempSync(join(tmpdir(), 'rust-tree-'));
    await sh('mount', ['-t', 'glusterfs', `${gluster.server}:/${gluster.volume}`, stagingMount]);
    const volumeDir = join(stagingMount, LEGACY_UUID, 'pvc-legacy');
    mkdirSync(volumeDir, { recursive: true });
    chownSync(volumeDir, 0, 2005);
    chmodSync(volumeDir, 0o2775);
    writeFileSync(join(volumeDir, 'precious.txt'), 'user data written before the upgrade\n');
    await sh('gluster', ['--mode=script', 'volume', 'quota', gluster.volume, 'limit-usage', `/${LEGACY_UUID}`, '2GB']);

    // The Rust piragua's /etc/piragua/environment, unchanged: nothing else is set.
    const port = await freePort();
    piragua = spawn(process.execPath, [resolve('dist/main.js')], {
      env: {
        GLUSTER_VOL: gluster.volume,
        JWT_SECRET: Buffer.from(RUST_KEY).toString('base64'),
        PATH: process.env.PATH,
        ROCKET_ADDRESS: '127.0.0.1',
        ROCKET_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    piragua.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    piragua.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    client = new HeketiClient(`http://127.0.0.1:${port}`, RUST_KEY);
    for (const deadline = Date.now() + 30_000; ; await new Promise((done) => setTimeout(done, 200))) {
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      if (ready?.status === 200) {
        break;
      }
      if (Date.now() > deadline || piragua.exitCode !== null) {
        throw new Error(`piragua did not start from the Rust environment:\n${output}`);
      }
    }
  });

  afterAll(async () => {
    piragua?.kill('SIGTERM');
    await unmount(defaultMount());
    await unmount(stagingMount);
    await gluster?.teardown();
  });

  it('should adopt the old volumes in place and serve them through the Heketi API', async () => {
    expect((await client.request('GET', '/volumes')).json().volumes).toContain(LEGACY_ID);
    const info = await client.request('GET', `/volumes/${LEGACY_ID}`);
    expect(info.status).toBe(200);
    expect(info.json()).toMatchObject({
      gid: 2005,
      id: LEGACY_ID,
      name: `${gluster.volume}/${LEGACY_UUID}/pvc-legacy`,
      size: 2,
    });
    // Nothing was moved or renamed: the PV's path still holds the data.
    expect(readFileSync(join(stagingMount, LEGACY_UUID, 'pvc-legacy', 'precious.txt'), 'utf8')).toBe(
      'user data written before the upgrade\n',
    );
    expect(output).toMatch(/legacy-volume/);
  });

  it('should expand an adopted volume on its own directory', async () => {
    const expanded = await client.async('POST', `/volumes/${LEGACY_ID}/expand`, { expand_size: 1 });
    expect(expanded.final.status, expanded.final.body).toBe(200);
    expect(expanded.final.json().size).toBe(3);
    expect(await listedLimit(gluster.volume, `/${LEGACY_UUID}`, 3 * GIB)).toBe(3 * GIB);
    expect(existsSync(join(stagingMount, LEGACY_UUID, 'pvc-legacy', 'precious.txt'))).toBe(true);
  });

  it('should create new volumes beside the old ones and delete an adopted one', async () => {
    const created = await client.async('POST', '/volumes', { size: 1 });
    expect(created.final.status, created.final.body).toBe(200);
    const deleted = await client.async('DELETE', `/volumes/${LEGACY_ID}`);
    expect(deleted.final.status).toBe(204);
    expect(existsSync(join(stagingMount, LEGACY_UUID))).toBe(false);
    expect((await quotaLimits(gluster.volume)).has(`/${LEGACY_UUID}`)).toBe(false);
    expect((await client.request('GET', '/volumes')).json().volumes).toEqual([created.final.json().id]);
  });
});
