import { status } from '@grpc/grpc-js';
import { beforeEach, describe, expect, it } from 'vitest';
import { GIB } from '../../backends/backend.types.js';
import { HeketiApiError } from '../../heketi-client/heketi-api.error.js';
import type { PiraguaVolume } from '../../heketi-client/heketi-api.types.js';
import { appConfig } from '../../../test/factories/app-config.factory.js';
import { CsiControllerService } from './csi-controller.service.js';
import { ProvisionerResolver } from './provisioner.resolver.js';
import { CreateSpec, VolumeProvisioner } from './volume-provisioner.js';

const ID = 'a'.repeat(32);
const volume = (overrides: Partial<PiraguaVolume> = {}): PiraguaVolume => ({
  cluster: 'c'.repeat(32),
  id: ID,
  location: { backend: 'gluster', glusterServers: ['10.0.0.1', '10.0.0.2'], glusterVolume: 'gv0', path: `${ID}/pvc-1` },
  name: 'pvc-1',
  operationRunning: false,
  size: 1,
  state: 'ready',
  ...overrides,
});

/** A provisioner whose creates, expands and deletes wait until the spec lets them finish. */
class GatedProvisioner extends VolumeProvisioner {
  byName = new Map<string, PiraguaVolume>();
  calls: string[] = [];
  private release?: () => void;
  failCreateWith?: Error;
  lastSpec?: CreateSpec;

  finish(): void {
    this.release?.();
  }

  private gate(call: string): Promise<void> {
    this.calls.push(call);
    return new Promise((resolve) => (this.release = resolve));
  }

  findByName(name: string): Promise<PiraguaVolume | undefined> {
    return Promise.resolve(this.byName.get(name));
  }

  get(volumeId: string): Promise<PiraguaVolume | undefined> {
    return Promise.resolve([...this.byName.values()].find((one) => one.id === volumeId));
  }

  async create(spec: CreateSpec): Promise<PiraguaVolume> {
    this.lastSpec = spec;
    await this.gate(`create ${spec.name} ${spec.size}`);
    if (this.failCreateWith) {
      throw this.failCreateWith;
    }
    const made = volume({ name: spec.name, size: spec.size });
    this.byName.set(spec.name, made);
    return made;
  }

  async expand(volumeId: string, deltaGiB: number): Promise<void> {
    await this.gate(`expand ${volumeId} ${deltaGiB}`);
  }

  async delete(volumeId: string): Promise<void> {
    await this.gate(`delete ${volumeId}`);
  }

  listIds(): Promise<readonly string[]> {
    return Promise.resolve([...this.byName.values()].map((one) => one.id));
  }

  capacity(): Promise<{ availableBytes: number; maximumVolumeBytes: number }> {
    return Promise.resolve({ availableBytes: 10 * GIB, maximumVolumeBytes: 10 * GIB });
  }

  probe(): Promise<void> {
    return Promise.resolve();
  }
}

const createRequest = (name: string, requiredBytes = GIB) => ({
  capacity_range: { limit_bytes: '0', required_bytes: String(requiredBytes) },
  name,
  parameters: {},
  secrets: {},
  volume_capabilities: [
    { access_mode: { mode: 'SINGLE_NODE_WRITER' }, mount: { fs_type: '', mount_flags: [], volume_mount_group: '' } },
  ],
  volume_content_source: null,
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(CsiControllerService.name, () => {
  let provisioner: GatedProvisioner;
  let sut: CsiControllerService;

  beforeEach(() => {
    provisioner = new GatedProvisioner();
    sut = new CsiControllerService(new ProvisionerResolver(appConfig(), provisioner));
  });

  it('should answer ABORTED to a create of a name whose create is still running, then the volume', async () => {
    const first = sut.createVolume(createRequest('pvc-1'));
    await settle();
    await expect(sut.createVolume(createRequest('pvc-1'))).rejects.toMatchObject({ code: status.ABORTED });
    provisioner.finish();
    const { volume: made } = await first;
    expect(made).toMatchObject({ capacity_bytes: String(GIB), volume_id: ID });
    expect(made.volume_context).toEqual({
      backend: 'gluster',
      glusterServers: '10.0.0.1,10.0.0.2',
      glusterVolume: 'gv0',
      path: `${ID}/pvc-1`,
    });
    expect((await sut.createVolume(createRequest('pvc-1'))).volume).toEqual(made);
    expect(provisioner.calls).toEqual(['create pvc-1 1']);
  });

  it('should answer ABORTED to a change of a volume another call is changing', async () => {
    provisioner.byName.set('pvc-1', volume());
    const expanding = sut.controllerExpandVolume({
      capacity_range: { limit_bytes: '0', required_bytes: String(3 * GIB) },
      secrets: {},
      volume_capability: null,
      volume_id: ID,
    });
    await settle();
    await expect(sut.deleteVolume({ secrets: {}, volume_id: ID })).rejects.toMatchObject({ code: status.ABORTED });
    provisioner.finish();
    expect(await expanding).toEqual({ capacity_bytes: String(3 * GIB), node_expansion_required: false });
    expect(provisioner.calls).toEqual([`expand ${ID} 2`]);
  });

  it('should answer ABORTED while the named volume is being created elsewhere', async () => {
    provisioner.byName.set('pvc-1', volume({ size: undefined, state: 'creating' }));
    await expect(sut.createVolume(createRequest('pvc-1'))).rejects.toMatchObject({ code: status.ABORTED });
    expect(provisioner.calls).toEqual([]);
  });

  it('should answer with the volume another controller made when its own create lost the name', async () => {
    provisioner.failCreateWith = new HeketiApiError(
      500,
      "Failed to allocate new volume: Volume name 'pvc-1' already in use",
    );
    const creating = sut.createVolume(createRequest('pvc-1'));
    await settle();
    provisioner.byName.set('pvc-1', volume({ id: 'b'.repeat(32) }));
    provisioner.finish();
    expect((await creating).volume.volume_id).toBe('b'.repeat(32));
  });

  it('should pass a failed create on when no volume holds the name', async () => {
    provisioner.failCreateWith = new HeketiApiError(500, 'Failed to allocate new volume: No space');
    const creating = sut.createVolume(createRequest('pvc-2'));
    await settle();
    provisioner.finish();
    await expect(creating).rejects.toBeInstanceOf(HeketiApiError);
  });

  it('should round the size up and ask for the gid the class range gives the name', async () => {
    const creating = sut.createVolume({
      ...createRequest('pvc-3', GIB + 1),
      parameters: { gidMax: '2000', gidMin: '2000' },
    });
    await settle();
    provisioner.finish();
    await creating;
    expect(provisioner.calls).toEqual(['create pvc-3 2']);
    expect(provisioner.lastSpec).toEqual({ gid: 2000, name: 'pvc-3', size: 2 });
  });
});
