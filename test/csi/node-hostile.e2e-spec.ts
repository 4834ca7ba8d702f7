import { status } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from './node-plugin.js';
import { exists, type LocalVolume, NodeScene } from './node-scene.js';

const SECRET = 'hunter2-node-secret';

describe('CSI node service: hostile and broken input (local backend, over the socket)', () => {
  let scene: NodeScene;
  let vol: LocalVolume;
  const client = () => scene.plugin.client;

  /** Asserts the code and a message, and that the target was neither created nor mounted. */
  async function refused(request: Record<string, unknown>, code: status, message?: RegExp): Promise<void> {
    const error = await client().error('NodePublishVolume', request);
    expect(error.code, error.details).toBe(code);
    expect(error.details).toMatch(message ?? /.+/);
    expect(error.details.length).toBeLessThan(1000);
    const target = request.target_path;
    if (typeof target === 'string' && target.startsWith(scene.root)) {
      expect(await mountsUnder(target)).toEqual([]);
    }
  }

  beforeAll(async () => {
    scene = await NodeScene.create();
    vol = await scene.volume();
  });

  afterAll(async () => {
    await scene?.teardown();
  });

  it('should answer INVALID_ARGUMENT for each missing field, creating nothing', async () => {
    const target = await scene.target();
    const base = scene.publishRequest(vol, target);
    await refused({ ...base, volume_id: '' }, status.INVALID_ARGUMENT, /volume_id is required/);
    await refused({ ...base, target_path: '' }, status.INVALID_ARGUMENT, /target_path is required/);
    await refused({ ...base, volume_capability: null }, status.INVALID_ARGUMENT, /volume_capability is required/);
    await refused(
      { ...base, volume_capability: { mount: {} } },
      status.INVALID_ARGUMENT,
      /access_mode.mode is required/,
    );
    await refused(
      { ...base, volume_capability: { access_mode: { mode: 'SINGLE_NODE_WRITER' } } },
      status.INVALID_ARGUMENT,
      /volume_capability.mount is required/,
    );
    for (const key of ['backend', 'path', 'localPath']) {
      await refused(
        { ...base, volume_context: { ...vol.context, [key]: '' } },
        status.INVALID_ARGUMENT,
        new RegExp(`volume_context.${key} is required`),
      );
    }
    await refused({ ...base, volume_context: {} }, status.INVALID_ARGUMENT);
    expect(await exists(target)).toBe(false);
  });

  it('should refuse block access, foreign file systems and unknown mount options', async () => {
    const target = await scene.target();
    const base = scene.publishRequest(vol, target);
    await refused(
      { ...base, volume_capability: { access_mode: { mode: 'SINGLE_NODE_WRITER' }, block: {} } },
      status.INVALID_ARGUMENT,
      /block access/,
    );
    const mount = (mount: object) => ({
      ...base,
      volume_capability: { access_mode: { mode: 'SINGLE_NODE_WRITER' }, mount },
    });
    await refused(mount({ fs_type: 'ext4' }), status.INVALID_ARGUMENT, /fs_type "ext4"/);
    await refused(
      mount({ mount_flags: ['rbind'] }),
      status.INVALID_ARGUMENT,
      /"rbind" is not a known bind mount option/,
    );
    await refused(mount({ mount_flags: ['log-file=/etc/passwd'] }), status.INVALID_ARGUMENT, /writes a file/);
    expect(await exists(target)).toBe(false);
  });

  it('should refuse path tricks in the target, changing nothing', async () => {
    const base = scene.publishRequest(vol, '');
    for (const target_path of [
      'relative/mount',
      `${scene.root}/pods/../etc`,
      `${scene.root}//x`,
      '/',
      `/${'a'.repeat(5000)}`,
    ]) {
      await refused(
        { ...base, target_path },
        status.INVALID_ARGUMENT,
        /target_path must be an absolute, normalized path/,
      );
    }
    const outside = join(scene.root, 'outside');
    await mkdir(outside);
    const linked = join(scene.root, 'pods', 'linked');
    await symlink(outside, linked);
    await refused({ ...base, target_path: join(linked, 'mount') }, status.INVALID_ARGUMENT, /symbolic link/);
    expect(await readdir(outside)).toEqual([]);
    await refused({ ...base, target_path: linked }, status.INVALID_ARGUMENT, /not a directory/);
    const full = await scene.target();
    await mkdir(full);
    await writeFile(join(full, 'precious'), 'keep me');
    await refused({ ...base, target_path: full }, status.INVALID_ARGUMENT, /not empty/);
    expect(await readFile(join(full, 'precious'), 'utf8')).toBe('keep me');
    const orphan = join(scene.root, 'no-such-pod', 'mount');
    await refused({ ...base, target_path: orphan }, status.INVALID_ARGUMENT, /parent directory/);
    expect(await exists(dirname(orphan))).toBe(false);
  });

  it('should refuse path tricks in the volume and answer NOT_FOUND for volumes that do not exist', async () => {
    const target = await scene.target();
    const base = scene.publishRequest(vol, target);
    for (const volume_id of ['../../etc', vol.id.toUpperCase(), 'x'.repeat(5000), `${vol.id}\0`]) {
      await refused({ ...base, volume_id }, status.NOT_FOUND, /does not exist/);
    }
    const context = (overrides: Record<string, string>) => ({
      ...base,
      volume_context: { ...vol.context, ...overrides },
    });
    await refused(context({ localPath: '/etc' }), status.INVALID_ARGUMENT, /must end with/);
    await refused(context({ localPath: `/etc/../${vol.dir}` }), status.INVALID_ARGUMENT, /normalized/);
    await refused(context({ path: `${vol.id}/../../etc` }), status.INVALID_ARGUMENT, /volume_context.path/);
    await refused(context({ backend: 'nfs' }), status.INVALID_ARGUMENT, /gluster or local/);
    await refused(context({ gid: 'root' }), status.INVALID_ARGUMENT, /gid/);
    await refused(context({ localPath: 'x'.repeat(100_000) }), status.INVALID_ARGUMENT);
    const linkedData = join(scene.root, 'linked-data');
    await symlink(join(scene.root, 'data'), linkedData);
    await refused(
      context({ localPath: join(linkedData, 'local', vol.id, 'pvc_1') }),
      status.INVALID_ARGUMENT,
      /symbolic link/,
    );
    const gone = await scene.volume('gone');
    execFileSync('rmdir', [gone.dir]);
    await refused(scene.publishRequest(gone, target), status.NOT_FOUND, new RegExp(`volume ${gone.id} does not exist`));
    expect(await exists(target)).toBe(false);
  });

  it('should unpublish idempotently, and never touch a mount that is not the volume', async () => {
    const target = await scene.target();
    expect((await client().error('NodeUnpublishVolume', { target_path: target })).code).toBe(status.INVALID_ARGUMENT);
    expect((await client().error('NodeUnpublishVolume', { volume_id: vol.id })).code).toBe(status.INVALID_ARGUMENT);
    expect((await client().error('NodeUnpublishVolume', { target_path: 'a/../b', volume_id: vol.id })).code).toBe(
      status.INVALID_ARGUMENT,
    );
    await scene.unpublish(vol, target);
    await mkdir(target);
    execFileSync('mount', ['-t', 'tmpfs', 'foreign', target]);
    try {
      const error = await client().error('NodeUnpublishVolume', { target_path: target, volume_id: vol.id });
      expect(error).toMatchObject({ code: status.NOT_FOUND, details: expect.stringContaining('not of volume') });
      expect(await mountsUnder(target)).toEqual([target]);
      expect(await client().error('NodePublishVolume', scene.publishRequest(vol, target))).toMatchObject({
        code: status.ALREADY_EXISTS,
        details: expect.stringContaining('already a mount of foreign'),
      });
      expect(await mountsUnder(target)).toEqual([target]);
    } finally {
      execFileSync('umount', [target]);
    }
  });

  it('should keep secrets out of its log, stay up, and leave no mount or record behind', async () => {
    const target = await scene.target();
    await client().call('NodePublishVolume', { ...scene.publishRequest(vol, target), secrets: { key: SECRET } });
    await scene.unpublish(vol, target);
    await refused({ ...scene.publishRequest(vol, ''), secrets: { key: SECRET } }, status.INVALID_ARGUMENT);
    expect((await client().call('NodeGetInfo')).node_id).toBe('node-e2e');
    expect(scene.plugin.alive).toBe(true);
    expect(scene.plugin.logs).not.toContain(SECRET);
    expect(scene.plugin.logs).toContain('published volume');
    expect(await mountsUnder(scene.root)).toEqual([]);
    const state = JSON.parse(await readFile(join(scene.stateDir, 'published-targets.json'), 'utf8'));
    expect(state.targets).toEqual({});
  });
});
