import { status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder, NodePlugin } from '../csi/node-plugin.js';
import { makeVolumeDirectory } from './csi-node-volume.js';
import { createGlusterTestVolume, type GlusterTestVolume } from './gluster-volume.fixture.js';
import { sh, unmount } from './gluster-shell.js';

async function fuseClientOf(target: string): Promise<number> {
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('glusterfs') && argv.includes(target)) {
      return Number(pid);
    }
  }
  throw new Error(`no glusterfs client for ${target}`);
}

describe('CSI node service with real Gluster FUSE mounts', () => {
  let gluster: GlusterTestVolume;
  let root: string;
  let plugin: NodePlugin;
  let pod = 0;
  const stopped: number[] = [];

  const target = async () => {
    const parent = join(root, 'pods', String((pod += 1)), 'volumes', 'kubernetes.io~csi', 'pv');
    await mkdir(parent, { recursive: true });
    return join(parent, 'mount');
  };
  const request = (id: string, context: Record<string, string>, target_path: string, readonly = false) => ({
    readonly,
    target_path,
    volume_capability: { access_mode: { mode: 'SINGLE_NODE_WRITER' }, mount: { mount_flags: ['log-level=ERROR'] } },
    volume_context: context,
    volume_id: id,
  });

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_csinode');
    root = await mkdtemp(join(tmpdir(), 'piragua-csi-gnode-'));
    plugin = await NodePlugin.start({ socket: join(root, 'csi.sock'), stateDir: join(root, 'state') });
  });

  afterAll(async () => {
    for (const pid of stopped) {
      process.kill(pid, 'SIGKILL');
    }
    await plugin?.stop();
    for (const mountPoint of (await mountsUnder(root)).reverse()) {
      await unmount(mountPoint);
    }
    await gluster?.teardown();
    await rm(root, { force: true, recursive: true });
  });

  it('should answer NOT_FOUND when the directory is not on the Gluster volume, leaving nothing behind', async () => {
    const id = randomBytes(16).toString('hex');
    const context = {
      backend: 'gluster',
      glusterServers: gluster.server,
      glusterVolume: gluster.volume,
      path: `${id}/pvc_x`,
    };
    const path = await target();
    const error = await plugin.client.error('NodePublishVolume', request(id, context, path));
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toContain('does not exist on the Gluster volume');
    expect(existsSync(path)).toBe(false);
    expect(await mountsUnder(root)).toEqual([]);
  });

  it('should mount read-only with ro, and a second pod read-write beside it', async () => {
    const id = randomBytes(16).toString('hex');
    const context = await makeVolumeDirectory(gluster, id, 'pvc_ro');
    const [ro, rw] = [await target(), await target()];
    await plugin.client.call('NodePublishVolume', request(id, context, ro, true));
    await plugin.client.call('NodePublishVolume', request(id, context, rw));
    expect((await sh('sh', ['-c', 'echo x > "$1"', 'sh', join(ro, 'f')])).stderr).toContain('Read-only file system');
    expect((await sh('sh', ['-c', 'echo x > "$1"', 'sh', join(rw, 'f')])).code).toBe(0);
    expect((await sh('cat', [join(ro, 'f')])).stdout).toBe('x\n');
    for (const path of [ro, rw]) {
      await plugin.client.call('NodeUnpublishVolume', { target_path: path, volume_id: id });
    }
    expect(await mountsUnder(root)).toEqual([]);
  });

  it('should bound stats on a hung FUSE mount, stay responsive, and unpublish it lazily', async () => {
    const id = randomBytes(16).toString('hex');
    const context = await makeVolumeDirectory(gluster, id, 'pvc_hung');
    const path = await target();
    await plugin.client.call('NodePublishVolume', request(id, context, path));
    // A stopped client never answers: every statfs of the mount blocks in the kernel.
    const client = await fuseClientOf(path);
    process.kill(client, 'SIGSTOP');
    stopped.push(client);
    const started = Date.now();
    const [stats, info] = await Promise.all([
      plugin.client.call('NodeGetVolumeStats', { volume_id: id, volume_path: path }),
      new Promise((resolve) => setTimeout(resolve, 500)).then(async () => {
        const asked = Date.now();
        await plugin.client.call('NodeGetInfo');
        return Date.now() - asked;
      }),
    ]);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(info).toBeLessThan(1000);
    expect(stats.usage).toEqual([]);
    expect(stats.volume_condition).toEqual({
      abnormal: true,
      message: 'statfs did not answer within 5000 ms: the Gluster servers may be unreachable',
    });
    await plugin.client.call('NodeUnpublishVolume', { target_path: path, volume_id: id });
    expect(await mountsUnder(path)).toEqual([]);
    expect(plugin.logs).not.toContain('"level":50');
  });
});
