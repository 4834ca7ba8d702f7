import { status } from '@grpc/grpc-js';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY } from '../piragua-process.js';
import { GIB, MOUNT } from './csi-client.js';
import { ControllerShape, ShapeName } from './controller-shapes.js';

const SECRET = 'S3CRET-never-logged-4f1c';

const create = (name: unknown, extra: Record<string, unknown> = {}) => ({
  capacity_range: { required_bytes: String(GIB) },
  name,
  volume_capabilities: [MOUNT()],
  ...extra,
});

describe.each<ShapeName>(['in-process', 'api'])('CSI controller, hostile input (%s)', (shape) => {
  let sut: ControllerShape;
  /** What the backend holds before the hostile calls: none of them may change it. */
  let before: { directories: string[]; volumes: string[] };

  const snapshot = async () => ({
    directories: (await readdir(join(sut.dir, 'data', 'local'))).sort(),
    volumes: (await sut.heketi.request('GET', '/volumes')).json().volumes as string[],
  });

  beforeAll(async () => {
    sut = await ControllerShape.start(shape, { LOG_LEVEL: 'verbose' });
    await sut.csi.call('Controller', 'CreateVolume', create('pvc-existing'));
    before = await snapshot();
  });

  afterAll(async () => {
    await sut?.stop();
  });

  it.each([
    ['an empty request', {}, /name is required/],
    ['no capabilities', { name: 'pvc-x' }, /volume_capabilities is required/],
    ['a name over 128 bytes', create('n'.repeat(129)), /longer than 128 bytes/],
    ['a megabyte name', create('m'.repeat(1024 * 1024)), /longer than 128 bytes/],
    ['a control character', create('pvc\u0007bell'), /control characters/],
    ['an unknown access mode', create('pvc-x', { volume_capabilities: [MOUNT('UNKNOWN')] }), /access mode/],
    [
      'no access type',
      create('pvc-x', { volume_capabilities: [{ access_mode: { mode: 'SINGLE_NODE_WRITER' } }] }),
      /mount/,
    ],
    ['a negative size', create('pvc-x', { capacity_range: { required_bytes: '-5' } }), /negative/],
    ['an unknown parameter', create('pvc-x', { parameters: { 'rest-url': 'x' } }), /unknown StorageClass parameter/],
    ['a resturl that is a file', create('pvc-x', { parameters: { resturl: 'file:///etc/shadow' } }), /resturl/],
    ['a gid range upside down', create('pvc-x', { parameters: { gidMax: '10', gidMin: '20' } }), /gidMin/],
  ])('should refuse %s with INVALID_ARGUMENT and a message', async (_, request, message) => {
    const failure = await sut.csi.failure('Controller', 'CreateVolume', request);
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(failure.details).toMatch(message);
  });

  it.each(['../../../etc', '..', '/etc/passwd', '%2e%2e%2f', 'a'.repeat(31) + '/', 'A'.repeat(32)])(
    'should answer NOT_FOUND for the volume id %j, and OK to delete it',
    async (id) => {
      for (const [method, request] of [
        ['ControllerGetVolume', { volume_id: id }],
        ['ValidateVolumeCapabilities', { volume_capabilities: [MOUNT()], volume_id: id }],
        ['ControllerExpandVolume', { capacity_range: { required_bytes: String(GIB) }, volume_id: id }],
      ] as const) {
        const failure = await sut.csi.failure('Controller', method, request);
        expect(failure.code).toBe(status.NOT_FOUND);
        expect(failure.details).toMatch(/does not exist/);
      }
      expect(await sut.csi.call('Controller', 'DeleteVolume', { volume_id: id })).toEqual({});
    },
  );

  it('should refuse an oversized volume id with INVALID_ARGUMENT', async () => {
    const failure = await sut.csi.failure('Controller', 'ControllerGetVolume', { volume_id: 'f'.repeat(129) });
    expect(failure).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/128 bytes/) });
  });

  it('should survive bytes that are not a valid message, answering with an error', async () => {
    for (const payload of [
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.from([0x08, 0x05]),
      Buffer.from('garbage'),
    ]) {
      const answer = await sut.csi.raw('/csi.v1.Controller/CreateVolume', payload);
      expect(Buffer.isBuffer(answer)).toBe(false);
      expect([status.INVALID_ARGUMENT, status.INTERNAL]).toContain((answer as { code: number }).code);
    }
    expect(await sut.csi.call('Identity', 'GetPluginInfo')).toMatchObject({ name: 'piragua.gluster.org' });
  });

  it('should have changed nothing on the backend', async () => {
    expect(await snapshot()).toEqual(before);
  });

  it('should keep a path-like name inside the volume, as one mapped directory', async () => {
    const { volume } = await sut.csi.call<{ volume: { volume_context: Record<string, string>; volume_id: string } }>(
      'Controller',
      'CreateVolume',
      create('../../../../etc/cron.d'),
    );
    const path = volume.volume_context.path;
    expect(path).toMatch(new RegExp(`^${volume.volume_id}/[A-Za-z0-9_-]+$`));
    expect(volume.volume_context.localPath).toBe(join(sut.dir, 'data', 'local', path));
    // Dot files beside it are the local backend's own (its recorded quota); no volume name starts with a dot.
    const entries = await readdir(join(sut.dir, 'data', 'local', volume.volume_id));
    expect(entries.filter((entry) => !entry.startsWith('.'))).toEqual([path.split('/')[1]]);
  });

  it('should write no secret to any log line, whether the key is right or wrong', async () => {
    const right = await sut.csi.call('Controller', 'CreateVolume', {
      ...create('pvc-with-secret'),
      parameters: { resturl: sut.rest.url, restuser: 'admin' },
      secrets: { key: ADMIN_KEY },
    });
    expect(right).toHaveProperty('volume');
    const wrong = await sut.csi.failure('Controller', 'CreateVolume', {
      ...create('pvc-wrong-secret'),
      parameters: { resturl: sut.rest.url, restuser: 'admin', restuserkey: SECRET },
    });
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    const deleted = await sut.csi.call('Controller', 'DeleteVolume', {
      secrets: { key: ADMIN_KEY },
      volume_id: 'b'.repeat(32),
    });
    expect(deleted).toEqual({});
    await new Promise((done) => setTimeout(done, 200));
    expect(sut.logs.length).toBeGreaterThan(0);
    expect(sut.logs).not.toContain(SECRET);
    expect(sut.logs).not.toContain(ADMIN_KEY);
    expect(wrong.details).not.toContain(SECRET);
  });
});
