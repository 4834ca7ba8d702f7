import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder, NodePlugin } from '../csi/node-plugin.js';
import { makeVolumeDirectory } from './csi-node-volume.js';
import { createGlusterTestVolume, type GlusterTestVolume } from './gluster-volume.fixture.js';
import { eventually, sh, unmount } from './gluster-shell.js';

/** The glusterfs FUSE client serving `target`, found by its command line. */
async function fuseClientOf(target: string): Promise<number | undefined> {
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0');
    if (argv[0]?.endsWith('glusterfs') && argv.includes(target)) {
      return Number(pid);
    }
  }
  return undefined;
}

/** Reads and writes through the target in child processes: a dead FUSE mount must not wedge the test. */
async function works(target: string, expected: string): Promise<boolean> {
  const read = await sh('timeout', ['5', 'cat', join(target, 'before')]);
  if (read.code !== 0 || read.stdout !== expected) {
    return false;
  }
  return (await sh('timeout', ['5', 'sh', '-c', 'echo after > "$1"', 'sh', join(target, 'after')])).code === 0;
}

describe('CSI node plugin restart with a real Gluster FUSE mount', () => {
  let gluster: GlusterTestVolume;
  let root: string;
  let plugin: NodePlugin | undefined;
  const id = randomBytes(16).toString('hex');
  const name = 'pvc_restart';
  let target: string;
  let context: Record<string, string>;

  const start = (waitReady = true) =>
    NodePlugin.start({
      pidNamespace: true,
      socket: join(root, 'csi.sock'),
      stateDir: join(root, 'state'),
      waitReady,
    });

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_csinode');
    root = await mkdtemp(join(tmpdir(), 'piragua-csi-gnode-'));
    context = await makeVolumeDirectory(gluster, id, name);
    const podDir = join(root, 'pods', 'p1', 'volumes', 'kubernetes.io~csi', 'pv');
    await mkdir(podDir, { recursive: true });
    target = join(podDir, 'mount');
  });

  afterAll(async () => {
    await plugin?.stop('SIGKILL');
    for (const mountPoint of (await mountsUnder(root)).reverse()) {
      await unmount(mountPoint);
    }
    await gluster?.teardown();
    await rm(root, { force: true, recursive: true });
  });

  it('should mount the dead target again within 10 s of a restart, without any CSI call', async () => {
    plugin = await start();
    await plugin.client.call('NodePublishVolume', {
      target_path: target,
      volume_capability: { access_mode: { mode: 'SINGLE_NODE_WRITER' }, mount: { mount_flags: ['log-level=ERROR'] } },
      volume_context: context,
      volume_id: id,
    });
    expect((await sh('sh', ['-c', 'printf before > "$1"', 'sh', join(target, 'before')])).code).toBe(0);
    expect(await readFile(join(gluster.brickDir, id, name, 'before'), 'utf8')).toBe('before');

    // The FUSE client is a child of the plugin, in the plugin's PID namespace, as in a container.
    const client = await fuseClientOf(target);
    expect(client).toBeDefined();
    const pluginInit = (await sh('pgrep', ['-P', String(plugin.child.pid)])).stdout.trim();
    expect(await readlink(`/proc/${client}/ns/pid`)).toBe(await readlink(`/proc/${pluginInit}/ns/pid`));
    expect(await readlink(`/proc/${client}/ns/pid`)).not.toBe(await readlink('/proc/self/ns/pid'));

    // SIGKILL to unshare: --kill-child kills the namespace's init, and with it every process inside.
    await plugin.stop('SIGKILL');
    await eventually(async () => (await fuseClientOf(target)) === undefined, 10_000, 'the FUSE client to die');
    const dead = await sh('stat', ['--file-system', target]);
    expect(dead.stderr).toContain('Transport endpoint is not connected');
    expect(await works(target, 'before')).toBe(false);

    const restarted = Date.now();
    plugin = await start(false);
    await eventually(() => works(target, 'before'), 10_000, 'the target to work again');
    const recoveryMs = Date.now() - restarted;
    console.log(
      `node plugin restart: target readable and writable again ${recoveryMs} ms after the new plugin was started`,
    );
    expect(recoveryMs).toBeLessThan(10_000);
    expect(await readFile(join(gluster.brickDir, id, name, 'after'), 'utf8')).toBe('after\n');
    expect((await mountsUnder(target)).length).toBe(1);
    await plugin.waitReady();
    expect(plugin.logs).toMatch(/was ENOTCONN; mounted .* again \(start\)/);
  });

  it('should report a dead mount as abnormal in NodeGetVolumeStats and mount it again', async () => {
    const stats = await plugin!.client.call('NodeGetVolumeStats', { volume_id: id, volume_path: target });
    expect(stats.volume_condition).toEqual({ abnormal: false, message: 'mounted and answering' });
    expect(stats.usage[0]).toMatchObject({ total: String(10 * 1024 * 1024), unit: 'BYTES' });

    process.kill((await fuseClientOf(target))!, 'SIGKILL');
    await eventually(async () => (await fuseClientOf(target)) === undefined, 10_000, 'the FUSE client to die');
    const dead = await plugin!.client.call('NodeGetVolumeStats', { volume_id: id, volume_path: target });
    expect(dead.usage).toEqual([]);
    expect(dead.volume_condition.abnormal).toBe(true);
    expect(dead.volume_condition.message).toContain('ENOTCONN');
    await eventually(() => works(target, 'before'), 10_000, 'the target to work again after stats');
  });

  it('should unpublish: unmount, remove the target, forget it', async () => {
    await plugin!.client.call('NodeUnpublishVolume', { target_path: target, volume_id: id });
    expect(await mountsUnder(root)).toEqual([]);
    expect((await sh('test', ['-e', target])).code).not.toBe(0);
    const state = JSON.parse(await readFile(join(root, 'state', 'published-targets.json'), 'utf8'));
    expect(state.targets).toEqual({});
  });
});
