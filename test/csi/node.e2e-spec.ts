import { status } from '@grpc/grpc-js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from './node-plugin.js';
import { exists, NodeScene } from './node-scene.js';

describe('CSI node service (local backend, real bind mounts, over the socket)', () => {
  let scene: NodeScene;
  const client = () => scene.plugin.client;

  beforeAll(async () => {
    scene = await NodeScene.create();
  });

  afterAll(async () => {
    await scene?.teardown();
  });

  it('should offer GET_VOLUME_STATS and VOLUME_CONDITION only, and its node id', async () => {
    const capabilities = await client().call('NodeGetCapabilities');
    expect(capabilities.capabilities.map((c: { rpc: { type: string } }) => c.rpc.type)).toEqual([
      'GET_VOLUME_STATS',
      'VOLUME_CONDITION',
    ]);
    expect((await client().call('NodeGetInfo')).node_id).toBe('node-e2e');
  });

  it('should bind the volume directory at a target it creates, and record it', async () => {
    const vol = await scene.volume();
    const path = await scene.target();
    await scene.publish(vol, path);
    expect(await mountsUnder(path)).toEqual([path]);
    await writeFile(join(path, 'hello'), 'from the pod');
    expect(await readFile(join(vol.dir, 'hello'), 'utf8')).toBe('from the pod');
    const state = JSON.parse(await readFile(join(scene.stateDir, 'published-targets.json'), 'utf8'));
    expect(state.targets[path]).toMatchObject({
      createdTarget: true,
      plan: { device: vol.dir, fstype: 'bind' },
      volumeId: vol.id,
    });
    await scene.unpublish(vol, path);
  });

  it('should answer 10 identical publishes with OK and one mount, and 10 unpublishes with OK', async () => {
    const vol = await scene.volume();
    const path = await scene.target();
    for (let i = 0; i < 10; i += 1) {
      await scene.publish(vol, path, { mount_flags: ['nosuid', 'nodev'] });
    }
    expect(await mountsUnder(path)).toEqual([path]);
    for (let i = 0; i < 10; i += 1) {
      await scene.unpublish(vol, path);
    }
    expect(await mountsUnder(path)).toEqual([]);
    expect(await exists(path)).toBe(false);
    expect(await exists(vol.dir)).toBe(true);
  });

  it('should answer concurrent identical publishes of one target with OK and mount it once', async () => {
    const vol = await scene.volume();
    const path = await scene.target();
    await Promise.all(Array.from({ length: 8 }, () => scene.publish(vol, path)));
    expect(await mountsUnder(path)).toEqual([path]);
    await Promise.all(Array.from({ length: 8 }, () => scene.unpublish(vol, path)));
    expect(await mountsUnder(path)).toEqual([]);
    expect(await exists(path)).toBe(false);
  });

  it('should publish one volume at several targets (one per pod) and unpublish them one by one', async () => {
    const vol = await scene.volume();
    const paths = [await scene.target(), await scene.target(), await scene.target()];
    await Promise.all(paths.map((path) => scene.publish(vol, path)));
    await writeFile(join(paths[0]!, 'shared'), 'x');
    expect(await readFile(join(paths[2]!, 'shared'), 'utf8')).toBe('x');
    await scene.unpublish(vol, paths[1]!);
    expect(await mountsUnder(paths[1]!)).toEqual([]);
    expect(await exists(join(paths[0]!, 'shared'))).toBe(true);
    expect(await exists(join(paths[2]!, 'shared'))).toBe(true);
    await scene.unpublish(vol, paths[0]!);
    await scene.unpublish(vol, paths[2]!);
    expect(await mountsUnder(join(scene.root, 'pods'))).toEqual([]);
  });

  it('should answer ALREADY_EXISTS for the same target with other options or another volume, changing nothing', async () => {
    const vol = await scene.volume();
    const other = await scene.volume();
    const path = await scene.target();
    await scene.publish(vol, path);
    const readonly = await client().error('NodePublishVolume', scene.publishRequest(vol, path, { readonly: true }));
    expect(readonly).toMatchObject({ code: status.ALREADY_EXISTS, details: expect.stringContaining('other options') });
    const foreign = await client().error('NodePublishVolume', scene.publishRequest(other, path));
    expect(foreign).toMatchObject({ code: status.ALREADY_EXISTS, details: expect.stringContaining(vol.id) });
    await writeFile(join(path, 'still-writable'), 'yes');
    expect(await mountsUnder(path)).toEqual([path]);
    expect(await client().error('NodeUnpublishVolume', { target_path: path, volume_id: other.id })).toMatchObject({
      code: status.NOT_FOUND,
      details: expect.stringContaining(vol.id),
    });
    expect(await mountsUnder(path)).toEqual([path]);
    await scene.unpublish(vol, path);
  });

  it('should mount read-only when asked, for a reader-only mode, or for the ro flag', async () => {
    const vol = await scene.volume();
    for (const extra of [{ readonly: true }, { mode: 'MULTI_NODE_READER_ONLY' }, { mount_flags: ['ro'] }]) {
      const path = await scene.target();
      await scene.publish(vol, path, extra);
      await expect(writeFile(join(path, 'nope'), 'x')).rejects.toThrow(/EROFS/);
      await scene.unpublish(vol, path);
    }
    expect(await exists(join(vol.dir, 'nope'))).toBe(false);
  });

  it('should apply kernel mount flags to the bind mount', async () => {
    const vol = await scene.volume();
    const path = await scene.target();
    await scene.publish(vol, path, { mount_flags: ['noexec', 'nosuid'] });
    const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === path);
    expect(line?.split(' ')[5]).toMatch(/(^|,)noexec(,|$)/);
    expect(line?.split(' ')[5]).toMatch(/(^|,)nosuid(,|$)/);
    await scene.unpublish(vol, path);
  });

  it('should report bytes and inodes, and NOT_FOUND for a path that is not the volume target', async () => {
    const vol = await scene.volume();
    const path = await scene.target();
    await scene.publish(vol, path);
    const stats = await client().call('NodeGetVolumeStats', { volume_id: vol.id, volume_path: path });
    expect(stats.usage.map((usage: { unit: string }) => usage.unit)).toEqual(['BYTES', 'INODES']);
    const [bytes] = stats.usage as { available: string; total: string; used: string }[];
    expect(Number(bytes!.total)).toBeGreaterThan(0);
    expect(Number(bytes!.used) + Number(bytes!.available)).toBeLessThanOrEqual(Number(bytes!.total));
    expect(stats.volume_condition).toEqual({ abnormal: false, message: 'mounted and answering' });
    const other = await scene.volume();
    for (const request of [
      { volume_id: other.id, volume_path: path },
      { volume_id: vol.id, volume_path: await scene.target() },
      { volume_id: vol.id, volume_path: scene.root },
      { volume_id: 'not-a-volume', volume_path: path },
    ]) {
      expect(await client().error('NodeGetVolumeStats', request)).toMatchObject({
        code: status.NOT_FOUND,
        details: expect.stringMatching(/.+/),
      });
    }
    expect((await client().error('NodeGetVolumeStats', { volume_id: vol.id })).code).toBe(status.INVALID_ARGUMENT);
    expect((await client().error('NodeGetVolumeStats', { volume_path: path })).code).toBe(status.INVALID_ARGUMENT);
    await scene.unpublish(vol, path);
  });

  it('should answer UNIMPLEMENTED for staging and node expansion, which it does not offer', async () => {
    for (const method of ['NodeStageVolume', 'NodeUnstageVolume', 'NodeExpandVolume']) {
      expect((await client().error(method, {})).code).toBe(status.UNIMPLEMENTED);
    }
  });

  it('should leave no mount behind', async () => {
    expect(await mountsUnder(scene.root)).toEqual([]);
  });
});
