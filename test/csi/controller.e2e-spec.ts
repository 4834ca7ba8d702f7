import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSI_PLUGIN_NAME } from '../../src/csi/csi-plugin.js';
import { GIB, MOUNT } from './csi-client.js';
import { ControllerShape, ShapeName } from './controller-shapes.js';

interface Volume {
  capacity_bytes: string;
  volume_context: Record<string, string>;
  volume_id: string;
}

const create = (name: string, requiredBytes: number | string = GIB, extra: Record<string, unknown> = {}) => ({
  capacity_range: { required_bytes: String(requiredBytes) },
  name,
  volume_capabilities: [MOUNT()],
  ...extra,
});

describe.each<ShapeName>(['in-process', 'api'])('CSI Identity and Controller (%s)', (shape) => {
  let sut: ControllerShape;

  beforeAll(async () => {
    sut = await ControllerShape.start(shape);
  });

  afterAll(async () => {
    await sut?.stop();
  });

  const createVolume = async (request: unknown) =>
    (await sut.csi.call<{ volume: Volume }>('Controller', 'CreateVolume', request)).volume;

  it('should name itself, advertise the controller and online expansion, and be ready', async () => {
    const info = await sut.csi.call('Identity', 'GetPluginInfo');
    expect(info).toMatchObject({ name: CSI_PLUGIN_NAME, vendor_version: '0.1.0' });
    const { capabilities } = await sut.csi.call<{ capabilities: unknown[] }>('Identity', 'GetPluginCapabilities');
    expect(capabilities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ service: { type: 'CONTROLLER_SERVICE' } }),
        expect.objectContaining({ volume_expansion: { type: 'ONLINE' } }),
      ]),
    );
    expect(await sut.csi.call('Identity', 'Probe')).toEqual({ ready: { value: true } });
  });

  it('should list exactly the controller capabilities it serves', async () => {
    const { capabilities } = await sut.csi.call<{ capabilities: { rpc: { type: string } }[] }>(
      'Controller',
      'ControllerGetCapabilities',
    );
    expect(capabilities.map((capability) => capability.rpc.type).sort()).toEqual(
      ['CREATE_DELETE_VOLUME', 'EXPAND_VOLUME', 'GET_CAPACITY', 'GET_VOLUME', 'LIST_VOLUMES'].sort(),
    );
  });

  it('should create a volume of whole GiB with everything a node needs in its context, visible to Heketi clients', async () => {
    const volume = await createVolume(create('pvc-context', 1.5 * GIB));
    expect(volume.volume_id).toMatch(/^[0-9a-f]{32}$/);
    expect(volume.capacity_bytes).toBe(String(2 * GIB));
    const context = volume.volume_context;
    expect(context).toMatchObject({
      backend: 'local',
      glusterVolume: 'local',
      path: `${volume.volume_id}/pvc-context`,
    });
    expect(context.localPath).toBe(`${sut.dir}/data/local/${volume.volume_id}/pvc-context`);
    expect(context.glusterServers).toMatch(/^[0-9.]+$/);
    const info = (await sut.heketi.request('GET', `/volumes/${volume.volume_id}`)).json();
    expect(info).toMatchObject({ id: volume.volume_id, name: `local/${volume.volume_id}/pvc-context`, size: 2 });
    expect((await sut.heketi.request('GET', '/volumes')).json().volumes).toContain(volume.volume_id);
  });

  it('should answer ten identical creates with the same volume, and another size with ALREADY_EXISTS', async () => {
    const first = await createVolume(create('pvc-again', 3 * GIB));
    for (let round = 0; round < 10; round += 1) {
      expect(await createVolume(create('pvc-again', 3 * GIB))).toEqual(first);
    }
    const bigger = await sut.csi.failure('Controller', 'CreateVolume', create('pvc-again', 4 * GIB));
    expect(bigger.code).toBe(status.ALREADY_EXISTS);
    expect(bigger.details).toMatch(/3 GiB/);
    const smaller = await sut.csi.failure('Controller', 'CreateVolume', {
      ...create('pvc-again', GIB),
      capacity_range: { limit_bytes: String(GIB), required_bytes: String(GIB) },
    });
    expect(smaller.code).toBe(status.ALREADY_EXISTS);
  });

  it('should give concurrent creates of one name one volume: OK with it, or ABORTED to retry', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        sut.csi.call<{ volume: Volume }>('Controller', 'CreateVolume', create('pvc-race')),
      ),
    );
    const ids = new Set(
      outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.volume.volume_id] : [])),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        expect((outcome.reason as { code: number }).code).toBe(status.ABORTED);
      }
    }
    const settled = await createVolume(create('pvc-race'));
    expect([...ids].every((id) => id === settled.volume_id)).toBe(true);
    const { volumes } = (await sut.heketi.request('GET', '/volumes')).json();
    const names = await Promise.all(
      (volumes as string[]).map(
        async (id) => (await sut.heketi.request('GET', `/volumes/${id}`)).json().name as string,
      ),
    );
    expect(names.filter((name) => name.endsWith('/pvc-race'))).toHaveLength(1);
  });

  it('should map a name Heketi refuses, deterministically, and take 128-character names', async () => {
    const odd = await createVolume(create('ns/claim.data'));
    expect(odd.volume_context.path).toMatch(new RegExp(`^${odd.volume_id}/ns_claim_data-[0-9a-f]{16}$`));
    expect(await createVolume(create('ns/claim.data'))).toEqual(odd);
    const long = 'L'.repeat(128);
    expect((await createVolume(create(long))).volume_context.path.endsWith(`/${long}`)).toBe(true);
    const longOdd = 'x.'.repeat(64);
    const mapped = await createVolume(create(longOdd));
    expect(await createVolume(create(longOdd))).toEqual(mapped);
  });

  it('should accept every file access mode, many writers included, and refuse block access', async () => {
    const modes = [
      'SINGLE_NODE_WRITER',
      'SINGLE_NODE_READER_ONLY',
      'MULTI_NODE_READER_ONLY',
      'MULTI_NODE_SINGLE_WRITER',
      'MULTI_NODE_MULTI_WRITER',
      'SINGLE_NODE_SINGLE_WRITER',
      'SINGLE_NODE_MULTI_WRITER',
    ];
    await createVolume({ ...create('pvc-modes'), volume_capabilities: modes.map(MOUNT) });
    const block = await sut.csi.failure('Controller', 'CreateVolume', {
      ...create('pvc-block'),
      volume_capabilities: [{ access_mode: { mode: 'SINGLE_NODE_WRITER' }, block: {} }],
    });
    expect(block).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/block/) });
  });

  it('should answer OUT_OF_RANGE for sizes it cannot give, RESOURCE_EXHAUSTED when there is no room', async () => {
    const between = await sut.csi.failure('Controller', 'CreateVolume', {
      ...create('pvc-range'),
      capacity_range: { limit_bytes: String(GIB + 100), required_bytes: String(GIB + 1) },
    });
    expect(between.code).toBe(status.OUT_OF_RANGE);
    const huge = await sut.csi.failure('Controller', 'CreateVolume', create('pvc-huge', 1024 * 1024 * GIB));
    expect(huge).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/No space/) });
    expect((await sut.heketi.request('GET', '/piragua/volumes/by-name/pvc-huge')).status).toBe(404);
  });

  it('should delete a volume, then answer OK for it again and for unknown or malformed ids', async () => {
    const volume = await createVolume(create('pvc-delete'));
    await sut.csi.call('Controller', 'DeleteVolume', { volume_id: volume.volume_id });
    expect((await sut.heketi.request('GET', `/volumes/${volume.volume_id}`)).status).toBe(404);
    for (const id of [volume.volume_id, 'f'.repeat(32), 'not-a-volume', '../../etc']) {
      expect(await sut.csi.call('Controller', 'DeleteVolume', { volume_id: id })).toEqual({});
    }
    expect((await sut.csi.failure('Controller', 'DeleteVolume', { volume_id: '' })).code).toBe(status.INVALID_ARGUMENT);
    // The name is free again: a new create makes a new volume.
    expect((await createVolume(create('pvc-delete'))).volume_id).not.toBe(volume.volume_id);
  });

  it('should expand by raising the quota, and answer OK when the size is already reached', async () => {
    const volume = await createVolume(create('pvc-expand'));
    const expand = (bytes: number) =>
      sut.csi.call('Controller', 'ControllerExpandVolume', {
        capacity_range: { required_bytes: String(bytes) },
        volume_capability: MOUNT(),
        volume_id: volume.volume_id,
      });
    expect(await expand(2.5 * GIB)).toEqual({ capacity_bytes: String(3 * GIB), node_expansion_required: false });
    expect((await sut.heketi.request('GET', `/volumes/${volume.volume_id}`)).json().size).toBe(3);
    expect(await expand(2 * GIB)).toEqual({ capacity_bytes: String(3 * GIB), node_expansion_required: false });
    expect(await expand(3 * GIB)).toEqual({ capacity_bytes: String(3 * GIB), node_expansion_required: false });
    const unknown = await sut.csi.failure('Controller', 'ControllerExpandVolume', {
      capacity_range: { required_bytes: String(GIB) },
      volume_id: 'e'.repeat(32),
    });
    expect(unknown.code).toBe(status.NOT_FOUND);
    const noRange = await sut.csi.failure('Controller', 'ControllerExpandVolume', { volume_id: volume.volume_id });
    expect(noRange.code).toBe(status.INVALID_ARGUMENT);
  });

  it('should validate capabilities: confirm file access, not block, NOT_FOUND for unknown volumes', async () => {
    const volume = await createVolume(create('pvc-validate'));
    const confirmed = await sut.csi.call<{ confirmed: { volume_capabilities: unknown[] } | null }>(
      'Controller',
      'ValidateVolumeCapabilities',
      {
        volume_capabilities: [MOUNT('MULTI_NODE_MULTI_WRITER')],
        volume_context: volume.volume_context,
        volume_id: volume.volume_id,
      },
    );
    expect(confirmed.confirmed?.volume_capabilities).toHaveLength(1);
    const block = await sut.csi.call<{ confirmed: unknown; message: string }>(
      'Controller',
      'ValidateVolumeCapabilities',
      {
        volume_capabilities: [{ access_mode: { mode: 'SINGLE_NODE_WRITER' }, block: {} }],
        volume_id: volume.volume_id,
      },
    );
    expect(block.confirmed).toBeNull();
    expect(block.message).toMatch(/block/);
    const unknown = await sut.csi.failure('Controller', 'ValidateVolumeCapabilities', {
      volume_capabilities: [MOUNT()],
      volume_id: 'd'.repeat(32),
    });
    expect(unknown.code).toBe(status.NOT_FOUND);
    const none = await sut.csi.failure('Controller', 'ValidateVolumeCapabilities', { volume_id: volume.volume_id });
    expect(none.code).toBe(status.INVALID_ARGUMENT);
  });

  it('should page ListVolumes with its own tokens and refuse a foreign one with ABORTED', async () => {
    const listed: string[] = [];
    let token = '';
    do {
      const page = await sut.csi.call<{ entries: { volume: Volume }[]; next_token: string }>(
        'Controller',
        'ListVolumes',
        {
          max_entries: 2,
          starting_token: token,
        },
      );
      expect(page.entries.length).toBeLessThanOrEqual(2);
      listed.push(...page.entries.map((entry) => entry.volume.volume_id));
      token = page.next_token;
    } while (token !== '');
    expect(listed).toEqual((await sut.heketi.request('GET', '/volumes')).json().volumes);
    expect((await sut.csi.failure('Controller', 'ListVolumes', { starting_token: 'page-2' })).code).toBe(
      status.ABORTED,
    );
    expect((await sut.csi.failure('Controller', 'ListVolumes', { max_entries: -1 })).code).toBe(
      status.INVALID_ARGUMENT,
    );
  });

  it('should report capacity in whole GiB and get one volume, NOT_FOUND for an unknown one', async () => {
    const capacity = await sut.csi.call<{ available_capacity: string; minimum_volume_size: { value: string } }>(
      'Controller',
      'GetCapacity',
      { volume_capabilities: [MOUNT()] },
    );
    expect(BigInt(capacity.available_capacity) % BigInt(GIB)).toBe(0n);
    expect(BigInt(capacity.available_capacity)).toBeGreaterThan(0n);
    expect(capacity.minimum_volume_size).toEqual({ value: String(GIB) });
    const volume = await createVolume(create('pvc-get'));
    const got = await sut.csi.call<{ volume: Volume }>('Controller', 'ControllerGetVolume', {
      volume_id: volume.volume_id,
    });
    expect(got.volume).toEqual(volume);
    expect((await sut.csi.failure('Controller', 'ControllerGetVolume', { volume_id: 'c'.repeat(32) })).code).toBe(
      status.NOT_FOUND,
    );
  });

  it('should answer UNIMPLEMENTED for snapshots and clones it leaves out', async () => {
    const snapshot = await sut.csi.raw('/csi.v1.Controller/CreateSnapshot', Buffer.alloc(0));
    expect(snapshot).toMatchObject({ code: status.UNIMPLEMENTED });
    const clone = await sut.csi.failure('Controller', 'CreateVolume', {
      ...create('pvc-clone'),
      volume_content_source: { volume: { volume_id: 'a'.repeat(32) } },
    });
    expect(clone.code).toBe(status.INVALID_ARGUMENT);
  });

  it('should finish a create whose caller gave up at 50 ms, and give the retry the same volume', async () => {
    let volume: Volume | undefined;
    let attempts = 0;
    while (volume === undefined) {
      attempts += 1;
      try {
        volume = (
          await sut.csi.call<{ volume: Volume }>(
            'Controller',
            'CreateVolume',
            create('pvc-deadline'),
            attempts === 1 ? 1 : 50,
          )
        ).volume;
      } catch (error) {
        expect([status.DEADLINE_EXCEEDED, status.ABORTED]).toContain((error as { code: number }).code);
        await new Promise((done) => setTimeout(done, 20));
      }
    }
    expect(await createVolume(create('pvc-deadline'))).toEqual(volume);
  });
});
