import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsiClient } from '../csi/csi-client.js';
import { CsiProcess } from '../csi/csi-process.js';
import { mountsUnder, NodePlugin } from '../csi/node-plugin.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { createGlusterTestVolume, type GlusterTestVolume } from './gluster-volume.fixture.js';
import { eventually, quotaLimits, sh, unmount } from './gluster-shell.js';

const GIB = 1024 ** 3;
const CAPABILITY = { access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' }, mount: {} };

interface Volume {
  capacity_bytes: string;
  volume_context: Record<string, string>;
  volume_id: string;
}

const dfSize = async (target: string) =>
  Number((await sh('df', ['-B1', '--output=size', target])).stdout.trim().split('\n')[1]);

/**
 * The whole CSI path on a real glusterd, as Kubernetes drives it: CreateVolume → NodePublishVolume
 * (a real deep FUSE mount) → EDQUOT at the quota → df and stats show it → ControllerExpandVolume →
 * more fits → NodeUnpublishVolume → DeleteVolume → the quota and directory are gone.
 */
describe('CSI create → publish → quota → expand → unpublish → delete on a real glusterd', () => {
  let gluster: GlusterTestVolume;
  let root: string;
  const stops: (() => Promise<void>)[] = [];

  const glusterEnv = (name: string) => ({
    LOG_FORMAT: 'json',
    PIRAGUA_BACKEND: 'gluster',
    PIRAGUA_GLUSTER_SERVER: gluster.server,
    PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
    PIRAGUA_MOUNT_DIR: join(root, name, 'mounts'),
  });

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_csipath');
    root = await mkdtemp(join(tmpdir(), 'piragua-csi-path-'));
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) {
      await stop().catch(() => undefined);
    }
    for (const mountPoint of (await mountsUnder(root)).reverse()) {
      await unmount(mountPoint);
    }
    await gluster?.teardown();
    await rm(root, { force: true, recursive: true });
  });

  async function wholePath(controller: CsiClient, node: CsiClient, podDir: string): Promise<void> {
    const name = `pvc-${randomUUID()}`;
    const { volume } = await controller.call<{ volume: Volume }>('Controller', 'CreateVolume', {
      capacity_range: { required_bytes: String(GIB - 4096) },
      name,
      parameters: {},
      volume_capabilities: [CAPABILITY],
    });
    expect(volume.capacity_bytes).toBe(String(GIB));
    expect(volume.volume_context).toMatchObject({ backend: 'gluster', glusterVolume: gluster.volume });
    const id = volume.volume_id;

    await mkdir(podDir, { recursive: true });
    const target = join(podDir, 'mount');
    const publish = {
      target_path: target,
      volume_capability: { ...CAPABILITY, mount: { mount_flags: ['log-level=ERROR', 'noatime'] } },
      volume_context: volume.volume_context,
      volume_id: id,
    };
    await node.call('Node', 'NodePublishVolume', publish);
    await node.call('Node', 'NodePublishVolume', publish);
    const [mount] = (await readFile('/proc/self/mountinfo', 'utf8'))
      .split('\n')
      .filter((l) => l.split(' ')[4] === target);
    expect(mount).toContain(` fuse.glusterfs ${gluster.server}:/${gluster.volume}/${volume.volume_context.path} `);

    expect(await dfSize(target)).toBe(GIB);
    const overflow = await sh('dd', ['if=/dev/zero', `of=${join(target, 'big')}`, 'bs=4M', 'count=300', 'conv=fsync']);
    expect(overflow.code).not.toBe(0);
    expect(overflow.stderr).toContain('Disk quota exceeded');
    const full = await node.call<{ usage: { total: string; unit: string; used: string }[]; volume_condition: object }>(
      'Node',
      'NodeGetVolumeStats',
      { volume_id: id, volume_path: target },
    );
    expect(full.usage[0]).toMatchObject({ total: String(GIB), unit: 'BYTES' });
    expect(Number(full.usage[0]!.used)).toBeGreaterThan(0.9 * GIB);
    expect(full.volume_condition).toMatchObject({ abnormal: true, message: expect.stringContaining('quota exceeded') });

    const expanded = await controller.call<{ capacity_bytes: string; node_expansion_required: boolean }>(
      'Controller',
      'ControllerExpandVolume',
      { capacity_range: { required_bytes: String(2 * GIB) }, volume_capability: CAPABILITY, volume_id: id },
    );
    expect(expanded).toEqual({ capacity_bytes: String(2 * GIB), node_expansion_required: false });
    await eventually(async () => (await dfSize(target)) === 2 * GIB, 15_000, 'df to show the expanded quota');
    const more = await sh('dd', ['if=/dev/zero', `of=${join(target, 'more')}`, 'bs=4M', 'count=64', 'conv=fsync']);
    expect(more.code, more.stderr).toBe(0);
    const grown = await node.call<{ usage: { total: string }[]; volume_condition: object }>(
      'Node',
      'NodeGetVolumeStats',
      {
        volume_id: id,
        volume_path: target,
      },
    );
    expect(grown.usage[0]!.total).toBe(String(2 * GIB));
    expect(grown.volume_condition).toEqual({ abnormal: false, message: 'mounted and answering' });

    await node.call('Node', 'NodeUnpublishVolume', { target_path: target, volume_id: id });
    await node.call('Node', 'NodeUnpublishVolume', { target_path: target, volume_id: id });
    expect(await mountsUnder(target)).toEqual([]);
    expect(existsSync(target)).toBe(false);

    await controller.call('Controller', 'DeleteVolume', { volume_id: id });
    await controller.call('Controller', 'DeleteVolume', { volume_id: id });
    expect(existsSync(join(gluster.brickDir, id))).toBe(false);
    await eventually(
      async () => ![...(await quotaLimits(gluster.volume)).keys()].some((path) => path.includes(id)),
      30_000,
      'the quota to be removed',
    );
  }

  it('should run in one process serving the REST API and CSI controller and node (in-process provisioner)', async () => {
    const socket = join(root, 'all', 'csi.sock');
    const service = await PiraguaProcess.start({
      ...glusterEnv('all'),
      PIRAGUA_CSI_ENDPOINT: `unix://${socket}`,
      PIRAGUA_CSI_MODE: 'all',
      PIRAGUA_CSI_STATE_DIR: join(root, 'all', 'state'),
    });
    const client = new CsiClient(socket);
    stops.push(async () => {
      client.close();
      await service.stop();
    });
    await wholePath(client, client, join(root, 'pods', 'in-process', 'volumes', 'kubernetes.io~csi', 'pv'));
  });

  it('should run as in Kubernetes: a controller through HeketiApiClient, a separate node plugin', async () => {
    const rest = await PiraguaProcess.start(glusterEnv('rest'));
    stops.push(() => rest.stop());
    const controllerSocket = join(root, 'controller', 'csi.sock');
    const controllerProcess = await CsiProcess.start(controllerSocket, {
      PIRAGUA_CSI_MODE: 'controller',
      PIRAGUA_HEKETI_KEY: ADMIN_KEY,
      PIRAGUA_HEKETI_URL: rest.url,
    });
    const controller = new CsiClient(controllerSocket);
    stops.push(async () => {
      controller.close();
      await controllerProcess.stop();
    });
    const nodeSocket = join(root, 'node', 'csi.sock');
    const plugin = await NodePlugin.start({ socket: nodeSocket, stateDir: join(root, 'node', 'state') });
    const node = new CsiClient(nodeSocket);
    stops.push(async () => {
      node.close();
      await plugin.stop();
    });
    await wholePath(controller, node, join(root, 'pods', 'api', 'volumes', 'kubernetes.io~csi', 'pv'));
  });
});
