import { Injectable } from '@nestjs/common';
import { GIB } from '../../backends/backend.types.js';
import type { PiraguaVolume } from '../../heketi-client/heketi-api.types.js';
import { aborted, alreadyExists, invalidArgument, notFound, outOfRange } from '../csi.error.js';
import type {
  ControllerExpandVolumeRequest,
  CreateVolumeRequest,
  DeleteVolumeRequest,
  GetCapacityRequest,
  ListVolumesRequest,
  StringMap,
  ValidateVolumeCapabilitiesRequest,
  Volume,
  VolumeCapability,
} from '../csi.types.js';
import { requireCapabilities, unsupportedReason } from './capabilities.js';
import { bytesOfGiB, sizeFits, sizeGiBFor } from './capacity.js';
import { checkCsiString, heketiNameFor } from './csi-name.js';
import { listTokenAfter, startAfter } from './list-token.js';
import { ProvisionerResolver } from './provisioner.resolver.js';
import { RecentVolumes } from './recent-volumes.js';
import { connectionOf, gidFor, parseClassParameters } from './storage-class.params.js';
import { csiVolumeOf } from './volume-context.js';
import type { VolumeProvisioner } from './volume-provisioner.js';

const VOLUME_ID = /^[0-9a-f]{32}$/;

/** The CSI controller rules (csi-contract §3, issue 14 point 2) over a VolumeProvisioner. */
@Injectable()
export class CsiControllerService {
  /** Names and volume ids with a call running in this process: a second call on one of them is ABORTED. */
  private readonly busy = new Set<string>();
  private readonly recent = new RecentVolumes();

  constructor(private readonly resolver: ProvisionerResolver) {}

  async createVolume(request: CreateVolumeRequest): Promise<{ volume: Volume }> {
    const name = heketiNameFor(request.name);
    requireCapabilities(request.volume_capabilities, 'volume_capabilities');
    if (request.volume_content_source) {
      throw invalidArgument('volume_content_source is not supported: piragua has no snapshots or clones');
    }
    const sizeGiB = sizeGiBFor(request.capacity_range);
    const parameters = parseClassParameters(request.parameters, request.secrets);
    const provisioner = this.resolver.for(parameters.connection);
    const remembered = this.recent.find(provisioner, name);
    if (remembered) {
      return { volume: this.existingFor(remembered, request, parameters.clusters) };
    }
    return await this.exclusive(`name:${name}`, async () => {
      const existing = await provisioner.findByName(name);
      if (existing) {
        return { volume: this.existingFor(existing, request, parameters.clusters) };
      }
      let created: PiraguaVolume;
      try {
        created = await provisioner.create({
          ...(parameters.clusters.length > 0 ? { clusters: parameters.clusters } : {}),
          ...(parameters.durability ? { durability: parameters.durability } : {}),
          gid: gidFor(name, parameters.gidRange),
          name,
          size: sizeGiB,
        });
      } catch (error) {
        // Another controller or instance won the name meanwhile: its volume is the answer.
        const raced = await provisioner.findByName(name).catch(() => undefined);
        if (raced) {
          return { volume: this.existingFor(raced, request, parameters.clusters) };
        }
        throw error;
      }
      this.recent.remember(provisioner, created);
      return { volume: csiVolumeOf(created) };
    });
  }

  async deleteVolume(request: DeleteVolumeRequest): Promise<Record<string, never>> {
    const id = checkCsiString('volume_id', request.volume_id);
    // An id piragua cannot have minted names no volume: already deleted, as the spec wants.
    if (!VOLUME_ID.test(id)) {
      return {};
    }
    const provisioner = this.resolver.for(connectionOf(request.secrets));
    this.recent.forget(id);
    await this.exclusive(`id:${id}`, () => provisioner.delete(id));
    return {};
  }

  async validateVolumeCapabilities(request: ValidateVolumeCapabilitiesRequest): Promise<{
    confirmed: { parameters: StringMap; volume_capabilities: VolumeCapability[]; volume_context: StringMap } | null;
    message: string;
  }> {
    const id = checkCsiString('volume_id', request.volume_id);
    if (!Array.isArray(request.volume_capabilities) || request.volume_capabilities.length === 0) {
      throw invalidArgument('volume_capabilities is required');
    }
    await this.readyVolume(this.resolver.for(connectionOf(request.secrets)), id);
    parseClassParameters(request.parameters, request.secrets);
    const reasons = request.volume_capabilities.map(unsupportedReason).filter((reason) => reason !== undefined);
    if (reasons.length > 0) {
      return { confirmed: null, message: reasons.join('; ') };
    }
    return {
      confirmed: {
        parameters: request.parameters,
        volume_capabilities: request.volume_capabilities,
        volume_context: request.volume_context,
      },
      message: '',
    };
  }

  async listVolumes(request: ListVolumesRequest): Promise<{ entries: { volume: Volume }[]; next_token: string }> {
    if (!Number.isInteger(request.max_entries) || request.max_entries < 0) {
      throw invalidArgument('max_entries must not be negative');
    }
    const after = startAfter(request.starting_token);
    const provisioner = this.resolver.default;
    const ids = (await provisioner.listIds()).filter((id) => id > after);
    const page = request.max_entries === 0 ? ids : ids.slice(0, request.max_entries);
    const volumes = await Promise.all(page.map((id) => provisioner.get(id)));
    return {
      // A volume deleted between the list and its read is left out, not reported half.
      entries: volumes
        .filter((volume) => volume?.state === 'ready')
        .map((volume) => ({ volume: csiVolumeOf(volume!) })),
      next_token: page.length < ids.length ? listTokenAfter(page[page.length - 1]) : '',
    };
  }

  async getCapacity(request: GetCapacityRequest): Promise<{
    available_capacity: string;
    maximum_volume_size: { value: string };
    minimum_volume_size: { value: string };
  }> {
    const parameters = parseClassParameters(request.parameters, {});
    const servable = (request.volume_capabilities ?? []).every((capability) => !unsupportedReason(capability));
    const room = servable
      ? await this.resolver.for(parameters.connection).capacity(parameters.clusters)
      : { availableBytes: 0, maximumVolumeBytes: 0 };
    // Quotas are whole GiB: report what a volume can really get.
    const wholeGiB = (bytes: number) => (Math.floor(bytes / GIB) * GIB).toString();
    return {
      available_capacity: wholeGiB(room.availableBytes),
      maximum_volume_size: { value: wholeGiB(room.maximumVolumeBytes) },
      minimum_volume_size: { value: String(GIB) },
    };
  }

  async controllerExpandVolume(
    request: ControllerExpandVolumeRequest,
  ): Promise<{ capacity_bytes: string; node_expansion_required: boolean }> {
    const id = checkCsiString('volume_id', request.volume_id);
    if (!request.capacity_range) {
      throw invalidArgument('capacity_range is required');
    }
    if (request.volume_capability) {
      requireCapabilities([request.volume_capability], 'volume_capability');
    }
    const sizeGiB = sizeGiBFor(request.capacity_range);
    const provisioner = this.resolver.for(connectionOf(request.secrets));
    return await this.exclusive(`id:${id}`, async () => {
      const volume = await this.readyVolume(provisioner, id);
      const current = volume.size!;
      if (current < sizeGiB) {
        this.recent.forget(id);
        await provisioner.expand(id, sizeGiB - current);
      } else if (!sizeFits(current, request.capacity_range)) {
        throw outOfRange(
          `volume ${id} already has ${current} GiB, more than limit_bytes; piragua does not shrink volumes`,
        );
      }
      return { capacity_bytes: bytesOfGiB(Math.max(current, sizeGiB)), node_expansion_required: false };
    });
  }

  async controllerGetVolume(volumeId: string): Promise<{ status: { published_node_ids: string[] }; volume: Volume }> {
    const id = checkCsiString('volume_id', volumeId);
    const volume = await this.readyVolume(this.resolver.default, id);
    return { status: { published_node_ids: [] }, volume: csiVolumeOf(volume) };
  }

  /** The volume, ready; NOT_FOUND when there is none, ABORTED while it is still being created or deleted. */
  private async readyVolume(provisioner: VolumeProvisioner, id: string): Promise<PiraguaVolume> {
    const volume = VOLUME_ID.test(id) ? await provisioner.get(id) : undefined;
    if (!volume) {
      throw notFound(`volume ${JSON.stringify(id)} does not exist`);
    }
    if (volume.state !== 'ready' || volume.size === undefined) {
      throw aborted(`volume ${id} is being ${volume.state === 'creating' ? 'created' : 'deleted'}; try again`);
    }
    return volume;
  }

  /** A repeated create: the same volume when it matches the request, ALREADY_EXISTS when it does not. */
  private existingFor(volume: PiraguaVolume, request: CreateVolumeRequest, clusters: string[]): Volume {
    if (volume.state !== 'ready' || volume.size === undefined) {
      throw aborted(
        `volume ${JSON.stringify(request.name)} is being ${volume.state === 'deleting' ? 'deleted' : 'created'}; try again`,
      );
    }
    if (!sizeFits(volume.size, request.capacity_range)) {
      throw alreadyExists(
        `volume ${JSON.stringify(request.name)} exists with ${volume.size} GiB, outside the requested range`,
      );
    }
    if (clusters.length > 0 && !clusters.includes(volume.cluster)) {
      throw alreadyExists(
        `volume ${JSON.stringify(request.name)} exists on cluster ${volume.cluster}, not one the class allows`,
      );
    }
    return csiVolumeOf(volume);
  }

  private async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (this.busy.has(key)) {
      throw aborted(`an operation on ${key.slice(key.indexOf(':') + 1)} is already in progress; try again`);
    }
    this.busy.add(key);
    try {
      return await work();
    } finally {
      this.busy.delete(key);
    }
  }
}
