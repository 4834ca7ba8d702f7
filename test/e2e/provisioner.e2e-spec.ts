import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess, USER_KEY } from '../piragua-process.js';

/** Exactly what the kubernetes.io/glusterfs provisioner sends with a default StorageClass (contract §8.1). */
const KUBERNETES_CREATE = {
  size: 2,
  name: '',
  durability: { type: 'replicate', replicate: { replica: 3 }, disperse: {} },
  gid: 2001,
  snapshot: { enable: true, factor: 1 },
};

describe('Kubernetes provisioner and heketi-cli against the local backend', () => {
  let server: PiraguaProcess;
  let dataDir: string;
  let admin: HeketiClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'piragua-e2e-'));
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: dataDir });
    admin = new HeketiClient(server.url, ADMIN_KEY);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('should provision, expand and delete a volume the way Kubernetes does', async () => {
    const created = await admin.async('POST', '/volumes', KUBERNETES_CREATE);
    expect(created.accepted.status).toBe(202);
    expect(created.accepted.headers.get('location')).toMatch(/^\/queue\/[0-9a-f]{32}$/);
    expect(created.accepted.body).toBe('');
    expect(created.final.status).toBe(200);
    expect(created.final.headers.get('content-type')?.toLowerCase()).toBe('application/json; charset=utf-8');
    expect(created.final.body.endsWith('}\n')).toBe(true);

    const volume = created.final.json();
    expect(volume.id).toMatch(/^[0-9a-f]{32}$/);
    expect(volume.size).toBe(2);
    expect(volume.name).toBe(`local/${volume.id}/vol_${volume.id}`);
    expect(volume.durability).toEqual({ type: 'replicate', replicate: { replica: 3 }, disperse: {} });
    expect(volume.gid).toBe(2001);
    expect(volume.snapshot).toEqual({ enable: true, factor: 1 });
    expect(volume.blockinfo).toEqual({});
    expect(volume.bricks).toEqual([]);
    expect(Object.keys(volume)).toEqual([
      'size',
      'name',
      'durability',
      'gid',
      'snapshot',
      'id',
      'cluster',
      'mount',
      'blockinfo',
      'bricks',
    ]);
    expect(volume.mount.glusterfs.device).toBe(`${volume.mount.glusterfs.hosts[0]}:${volume.name}`);
    expect(volume.mount.glusterfs.options).toEqual({ 'backup-volfile-servers': '' });

    // The directory Kubernetes mounts, writable by the pod's supplemental group.
    const volumeDir = statSync(join(dataDir, 'local', volume.id, `vol_${volume.id}`));
    expect(volumeDir.isDirectory()).toBe(true);
    expect(volumeDir.gid).toBe(2001);
    expect(volumeDir.mode & 0o7777).toBe(0o2775);

    const cluster = await admin.request('GET', `/clusters/${volume.cluster}`);
    expect(cluster.status).toBe(200);
    expect(cluster.json().volumes).toContain(volume.id);
    expect(cluster.json().nodes.length).toBeGreaterThan(0);
    for (const nodeId of cluster.json().nodes) {
      const node = await admin.request('GET', `/nodes/${nodeId}`);
      expect(node.status).toBe(200);
      const storage: string[] = node.json().hostnames.storage;
      expect(storage).toHaveLength(1);
      expect(storage[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }

    const before = await admin.request('GET', `/volumes/${volume.id}`);
    expect(before.json().size).toBe(2);
    const expanded = await admin.async('POST', `/volumes/${volume.id}/expand`, { expand_size: 3 });
    expect(expanded.accepted.status).toBe(202);
    expect(expanded.final.status).toBe(200);
    expect(expanded.final.json().size).toBe(5);
    expect((await admin.request('GET', `/volumes/${volume.id}`)).json().size).toBe(5);

    const deleted = await admin.async('DELETE', `/volumes/${volume.id}`);
    expect(deleted.accepted.status).toBe(202);
    expect(deleted.final.status).toBe(204);
    expect((await admin.request('GET', `/volumes/${volume.id}`)).status).toBe(404);

    const again = await admin.request('DELETE', `/volumes/${volume.id}`);
    expect(again.status).toBe(404);
    expect(again.body).toBe('Id not found\n');
    expect(again.headers.get('content-length')).toBe('13');
    expect(again.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('should answer a queue id once, then forget it', async () => {
    const accepted = await admin.request('POST', '/volumes', { size: 1 });
    const location = accepted.headers.get('location')!;
    let poll = await admin.request('GET', location);
    while (poll.headers.get('x-pending') === 'true') {
      expect(poll.status).toBe(200);
      expect(poll.body).toBe('');
      await new Promise((resolve) => setTimeout(resolve, 50));
      poll = await admin.request('GET', location);
    }
    expect(poll.status).toBe(303);
    expect(poll.headers.get('location')).toMatch(/^\/volumes\/[0-9a-f]{32}$/);
    const second = await admin.request('GET', location);
    expect(second.status).toBe(404);
    expect(second.body).toBe('Id not found\n');
  });

  it('should keep names unique and use the requested name in the path', async () => {
    const first = await admin.async('POST', '/volumes', { size: 1, name: 'pvc_shared-data' });
    expect(first.final.status).toBe(200);
    expect(first.final.json().name).toBe(`local/${first.final.json().id}/pvc_shared-data`);
    const duplicate = await admin.request('POST', '/volumes', { size: 1, name: 'pvc_shared-data' });
    expect(duplicate.status).toBe(500);
    expect(duplicate.body).toBe("Failed to allocate new volume: Volume name 'pvc_shared-data' already in use\n");
  });

  it('should serve the heketi-cli read commands and a consistent topology', async () => {
    const created = await admin.async('POST', '/volumes', { size: 1, name: 'topology_check' });
    const volumeId = created.final.json().id;

    const clusters = await admin.request('GET', '/clusters');
    expect(clusters.status).toBe(200);
    expect(clusters.json()).toEqual({ clusters: [expect.stringMatching(/^[0-9a-f]{32}$/)] });

    const volumes = await admin.request('GET', '/volumes');
    const ids: string[] = volumes.json().volumes;
    expect(ids).toContain(volumeId);
    expect([...ids].sort()).toEqual(ids);

    // topology info, assembled client-side as heketi-cli does.
    for (const clusterId of clusters.json().clusters) {
      const cluster = (await admin.request('GET', `/clusters/${clusterId}`)).json();
      expect(Object.keys(cluster).slice(0, 6)).toEqual(['id', 'nodes', 'volumes', 'block', 'file', 'blockvolumes']);
      expect(cluster.file).toBe(true);
      for (const id of cluster.volumes) {
        expect((await admin.request('GET', `/volumes/${id}`)).json().cluster).toBe(clusterId);
      }
      for (const nodeId of cluster.nodes) {
        const node = (await admin.request('GET', `/nodes/${nodeId}`)).json();
        expect(node.hostnames.manage.length).toBeGreaterThan(0);
        expect(node.zone).toBe(1);
        expect(node.state).toBe('online');
        for (const device of node.devices) {
          expect(device.storage.total).toBeGreaterThan(0);
          const info = await admin.request('GET', `/devices/${device.id}`);
          expect(info.json()).toEqual(device);
        }
      }
    }
  });

  it('should let the user issuer list and create volumes but nothing else', async () => {
    const user = new HeketiClient(server.url, USER_KEY, 'user');
    expect((await user.request('GET', '/volumes')).status).toBe(200);
    const accepted = await user.request('POST', '/volumes', { size: 1 });
    expect(accepted.status).toBe(202);
    const poll = await user.request('GET', accepted.headers.get('location')!);
    expect(poll.status).toBe(401);
    expect(poll.body).toBe('Administrator access required\n');
    expect((await user.request('GET', '/clusters')).body).toBe('Administrator access required\n');
  });

  it('should refuse topology changes and block volumes with an explanation, never a fake success', async () => {
    const clusterId = (await admin.request('GET', '/clusters')).json().clusters[0];
    const attempts: [string, string, unknown?][] = [
      ['POST', '/clusters', { file: true, block: true }],
      ['DELETE', `/clusters/${clusterId}`],
      ['POST', '/nodes', { zone: 1, cluster: clusterId, hostnames: { manage: ['a'], storage: ['10.0.0.9'] } }],
      ['POST', '/devices', { name: '/dev/sdb', node: clusterId }],
      ['POST', '/blockvolumes', { size: 1 }],
      ['POST', '/volumes', { size: 1, block: true }],
    ];
    for (const [method, path, body] of attempts) {
      const response = await admin.request(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(501);
      expect(response.body).toMatch(/not (supported|manage)/);
    }
    expect((await admin.request('GET', '/volumes')).json().volumes).not.toHaveLength(0);
  });

  it('should keep volumes across a restart: state lives in the data directory', async () => {
    const created = await admin.async('POST', '/volumes', { size: 1, name: 'survives_restart' });
    const volumeId = created.final.json().id;
    await server.stop();
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: dataDir });
    admin = new HeketiClient(server.url, ADMIN_KEY);
    const info = await admin.request('GET', `/volumes/${volumeId}`);
    expect(info.status).toBe(200);
    expect(info.json().name).toBe(`local/${volumeId}/survives_restart`);
    expect((await admin.request('GET', '/volumes')).json().volumes).toContain(volumeId);
  });
});
