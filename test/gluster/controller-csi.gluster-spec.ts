import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsiClient, GIB, MOUNT } from '../csi/csi-client.js';
import { CsiProcess } from '../csi/csi-process.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { eventually, listedLimit, quotaLimits, unmount } from './gluster-shell.js';

interface Volume {
  capacity_bytes: string;
  volume_context: Record<string, string>;
  volume_id: string;
}

/** The CSI controller on a real Gluster volume: quota set, raised and removed, through the API and in-process. */
describe.each(['api', 'in-process'] as const)('CSI controller on glusterd (%s)', (shape) => {
  let gluster: GlusterTestVolume;
  let dir: string;
  let rest: PiraguaProcess;
  let controller: CsiProcess | undefined;
  let csi: CsiClient;

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_csictl');
    dir = mkdtempSync(join(tmpdir(), 'piragua-csictl-'));
    const socketPath = join(dir, 'csi.sock');
    const backend = {
      LOG_FORMAT: 'json',
      PIRAGUA_BACKEND: 'gluster',
      PIRAGUA_DATA_DIR: join(dir, 'data'),
      PIRAGUA_GLUSTER_SERVER: gluster.server,
      PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
      PIRAGUA_MOUNT_DIR: join(dir, 'mounts'),
    };
    if (shape === 'api') {
      rest = await PiraguaProcess.start(backend);
      controller = await CsiProcess.start(socketPath, {
        PIRAGUA_CSI_MODE: 'controller',
        PIRAGUA_HEKETI_KEY: ADMIN_KEY,
        PIRAGUA_HEKETI_URL: rest.url,
      });
    } else {
      rest = await PiraguaProcess.start({
        ...backend,
        PIRAGUA_CSI_ENDPOINT: `unix://${socketPath}`,
        PIRAGUA_CSI_MODE: 'controller',
      });
    }
    csi = new CsiClient(socketPath);
  });

  afterAll(async () => {
    csi?.close();
    await controller?.stop();
    await rest?.stop();
    await unmount(join(dir, 'mounts', gluster?.volume ?? 'none'));
    await gluster?.teardown();
    await rm(dir, { force: true, recursive: true });
  });

  it('should set the quota on create, raise it on expand, and remove quota and directory on delete', async () => {
    expect(await csi.call('Identity', 'Probe')).toEqual({ ready: { value: true } });
    const { volume } = await csi.call<{ volume: Volume }>('Controller', 'CreateVolume', {
      capacity_range: { required_bytes: String(GIB / 2) },
      name: 'pvc-gluster-quota',
      volume_capabilities: [MOUNT('MULTI_NODE_MULTI_WRITER')],
    });
    const id = volume.volume_id;
    expect(volume.capacity_bytes).toBe(String(GIB));
    expect(volume.volume_context).toEqual({
      backend: 'gluster',
      glusterServers: gluster.server,
      glusterVolume: gluster.volume,
      path: `${id}/pvc-gluster-quota`,
    });
    expect(await listedLimit(gluster.volume, `/${id}`, GIB)).toBe(GIB);
    const directory = join(dir, 'mounts', gluster.volume, id, 'pvc-gluster-quota');
    expect(existsSync(directory)).toBe(true);

    const expanded = await csi.call('Controller', 'ControllerExpandVolume', {
      capacity_range: { required_bytes: String(3 * GIB) },
      volume_id: id,
    });
    expect(expanded).toEqual({ capacity_bytes: String(3 * GIB), node_expansion_required: false });
    expect(await listedLimit(gluster.volume, `/${id}`, 3 * GIB)).toBe(3 * GIB);

    expect(await csi.call('Controller', 'DeleteVolume', { volume_id: id })).toEqual({});
    expect(existsSync(join(dir, 'mounts', gluster.volume, id))).toBe(false);
    // The quota leaves with the directory into the trash and is purged in the background.
    await eventually(
      async () => [...(await quotaLimits(gluster.volume)).keys()].every((path) => !path.includes(id)),
      60_000,
      'the quota of the deleted volume to be purged',
    );
    expect(await csi.call('Controller', 'DeleteVolume', { volume_id: id })).toEqual({});
  });
});
