import { Injectable, Logger } from '@nestjs/common';
import { Derived } from '../common/derived.js';
import { idNotFound } from '../common/piragua.error.js';
import { stepReached } from '../common/step-channel.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import type { ClusterTopology, VolumeRecord } from '../backends/backend.types.js';
import { CreateVolumeDto } from './dto/create-volume.dto.js';
import { ExpandVolumeDto } from './dto/expand-volume.dto.js';
import { mapVolume, VolumeListResponseDto, VolumeResponseDto } from './dto/volume-response.dto.js';
import { newId, OperationsService } from '../operations/operations.service.js';
import { VolumeChangesService } from './volume-changes.service.js';
import { PlacementService } from './placement.service.js';
import { stepFailure } from '../common/step-failure.js';
import { checkCreateRequest, checkExpandRequest, type CreateRequest } from './volume-request.rules.js';
import { VolumeIndexService } from './volume-index.service.js';
import { allocationFailed, deleteSetupFailed, expansionFailed, protectedVolume, volumeBusy } from './volumes.errors.js';

const HEKETI_DB_VOLUME = 'heketidbstorage';

/**
 * Volume lifecycle as clients ask for it. Each change validates and reserves while the client
 * waits (Heketi's 4xx and 500 answers), then runs its storage steps (VolumeChangesService) as an
 * async operation.
 */
@Injectable()
export class VolumesService {
  private readonly logger = new Logger(VolumesService.name);

  private listed?: VolumeListResponseDto;
  /** Records are replaced, never changed, so a volume's info is mapped once per change of its record or its cluster's topology. */
  private readonly volumeInfo = new Derived(mapVolume);

  constructor(
    private readonly changes: VolumeChangesService,
    private readonly topology: TopologyBackend,
    private readonly state: VolumeStateStore,
    private readonly index: VolumeIndexService,
    private readonly operations: OperationsService,
    private readonly placement: PlacementService,
  ) {}

  /** The same object until the list changes, so that it is rendered once (see VolumesController.list). */
  async list(): Promise<VolumeListResponseDto> {
    const volumes = await this.index.visibleIds();
    if (this.listed?.volumes !== volumes) {
      this.listed = Object.freeze({ volumes });
    }
    return this.listed;
  }

  async info(volumeId: string, fresh = false): Promise<VolumeResponseDto> {
    const record = await this.index.visible(volumeId, { fresh });
    if (!record) {
      throw idNotFound();
    }
    return this.volumeInfo.of(
      record,
      this.topology.clusters().find((cluster) => cluster.id === record.clusterId),
    );
  }

  async create(dto: CreateVolumeDto, issuer?: string): Promise<string> {
    const request = checkCreateRequest(dto);
    const record = this.newRecord(request, await this.placeNew(request));
    // Reserved in the index first, so concurrent creates count this volume's size.
    this.index.put(record);
    try {
      return await this.operations.start({
        clusterId: record.clusterId,
        kind: 'create',
        operationId: record.operationId,
        prepare: () => this.claimName(record),
        requestedBy: issuer,
        volumeId: record.id,
        work: () => this.changes.provision(record),
      });
    } catch (error) {
      this.index.remove(record.id);
      throw error;
    }
  }

  /** The cluster a new volume goes to, or the answer why none can take it. */
  private async placeNew(request: CreateRequest): Promise<ClusterTopology> {
    const candidates = this.placement.candidates(request.clusters);
    this.operations.assertCapacity();
    const cluster = await this.placement.choose(candidates, request.sizeGiB);
    if (!cluster) {
      throw allocationFailed('No space');
    }
    try {
      this.topology.assertCanProvision(cluster.id);
    } catch (error) {
      throw stepFailure('Failed to allocate new volume', 'check cluster', error);
    }
    return cluster;
  }

  private newRecord(request: CreateRequest, cluster: ClusterTopology): VolumeRecord {
    const id = newId();
    if (request.glusterVolumeOptions) {
      this.logger.warn(
        `Volume ${id}: Gluster volume options do not apply to a directory and are only recorded: ${request.glusterVolumeOptions.join(', ')}`,
      );
    }
    return {
      clusterId: cluster.id,
      createdAt: new Date().toISOString(),
      durability: request.durability,
      gid: request.gid,
      glusterVolumeOptions: request.glusterVolumeOptions,
      id,
      name: request.name ?? `vol_${id}`,
      operationId: newId(),
      sizeGiB: request.sizeGiB,
      snapshot: request.snapshot,
      state: 'creating',
    };
  }

  private async claimName({ clusterId, id, name }: VolumeRecord): Promise<void> {
    stepReached('create:operation');
    let claimed: boolean;
    try {
      claimed = await this.state.claimName(clusterId, name, id);
    } catch (error) {
      throw stepFailure('Failed to allocate new volume', 'reserve name', error);
    }
    if (!claimed) {
      throw allocationFailed(`Volume name '${name}' already in use`);
    }
  }

  async expand(volumeId: string, dto: ExpandVolumeDto, issuer?: string): Promise<string> {
    const delta = checkExpandRequest(dto);
    const record = await this.index.fresh(volumeId);
    if (record?.state !== 'ready') {
      throw idNotFound();
    }
    if (record.operationId) {
      throw expansionFailed(volumeBusy);
    }
    this.operations.assertCapacity();
    try {
      this.topology.assertCanProvision(record.clusterId);
    } catch (error) {
      throw stepFailure('Failed to allocate volume expansion', 'check cluster', error);
    }
    if (!(await this.placement.fits(record.clusterId, delta))) {
      throw expansionFailed('No space');
    }
    const operationId = newId();
    return this.operations.start({
      clusterId: record.clusterId,
      kind: 'expand',
      operationId,
      prepare: () => this.lockAndMark(record, operationId, 'ready', expansionFailed),
      requestedBy: issuer,
      volumeId,
      work: (marked) => this.changes.unlockAfter(marked, () => this.changes.grow(marked, delta)),
    });
  }

  async remove(volumeId: string, issuer?: string): Promise<string> {
    const record = await this.index.fresh(volumeId);
    if (record?.operationId) {
      throw deleteSetupFailed(volumeBusy);
    }
    if (record?.state !== 'ready') {
      throw idNotFound();
    }
    if (record.name === HEKETI_DB_VOLUME) {
      throw protectedVolume();
    }
    this.operations.assertCapacity();
    const operationId = newId();
    return this.operations.start({
      clusterId: record.clusterId,
      kind: 'delete',
      operationId,
      prepare: () => this.lockAndMark(record, operationId, 'deleting', deleteSetupFailed),
      requestedBy: issuer,
      volumeId,
      work: (marked) => this.changes.unlockAfter(marked, () => this.changes.destroy(marked)),
    });
  }

  /**
   * Takes the volume's lock, shared by every instance, then re-reads the record under it (another
   * instance may have changed the volume since it was first read) and records the operation on it.
   */
  private async lockAndMark(
    record: VolumeRecord,
    operationId: string,
    state: VolumeRecord['state'],
    failure: (reason: string) => Error,
  ): Promise<VolumeRecord> {
    const { clusterId, id } = record;
    if (!(await this.state.lockVolume(clusterId, id, operationId))) {
      throw failure(volumeBusy);
    }
    try {
      const current = await this.index.fresh(id);
      if (current?.state !== 'ready') {
        throw idNotFound();
      }
      if (current.operationId) {
        throw failure(volumeBusy);
      }
      const marked: VolumeRecord = { ...current, operationId, state };
      await this.state.saveVolume(marked);
      stepReached(state === 'deleting' ? 'delete:marked' : 'expand:marked');
      this.index.put(marked);
      return marked;
    } catch (error) {
      await this.state.unlockVolume(clusterId, id, operationId);
      throw error;
    }
  }
}
