import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { TRASH_FILLED, TrashFilled } from '../backends/state/volume-state.events.js';
import { Derived } from '../common/derived.js';
import { idNotFound } from '../common/piragua.error.js';
import { stepReached } from '../common/step-channel.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { GIB, volumeDirectory, VolumeRecord } from '../backends/backend.types.js';
import { CreateVolumeDto } from './dto/create-volume.dto.js';
import { ExpandVolumeDto } from './dto/expand-volume.dto.js';
import { mapVolume, VolumeListResponseDto, VolumeResponseDto } from './dto/volume-response.dto.js';
import { newId, OperationsService } from './operations.service.js';
import { PlacementService } from './placement.service.js';
import { stepFailure } from './step-failure.js';
import { checkCreateRequest, checkExpandRequest } from './volume-request.rules.js';
import { VolumeIndexService } from './volume-index.service.js';
import { allocationFailed, deleteSetupFailed, expansionFailed, protectedVolume, volumeBusy } from './volumes.errors.js';

const HEKETI_DB_VOLUME = 'heketidbstorage';
const QUOTA_READBACK_ATTEMPTS = 4;

/**
 * Volume lifecycle. Each change validates and reserves synchronously (Heketi's 4xx and 500
 * answers), then runs its storage steps as an async operation that rolls back what it did if a
 * later step fails, so a failure never leaves a half-made volume or an orphan quota.
 */
@Injectable()
export class VolumesService {
  private readonly logger = new Logger(VolumesService.name);

  private listed?: VolumeListResponseDto;
  /** Records are replaced, never changed, so a volume's info is mapped once per change of its record or its cluster's topology. */
  private readonly volumeInfo = new Derived(mapVolume);

  constructor(
    private readonly config: AppConfig,
    private readonly events: EventEmitter2,
    private readonly topology: TopologyBackend,
    private readonly quotas: QuotaBackend,
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
    const id = newId();
    const record: VolumeRecord = {
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
    if (request.glusterVolumeOptions) {
      this.logger.warn(
        `Volume ${id}: Gluster volume options do not apply to a directory and are only recorded: ${request.glusterVolumeOptions.join(', ')}`,
      );
    }
    // Reserved in the index first, so concurrent creates count this volume's size.
    this.index.put(record);
    const claimName = async () => {
      stepReached('create:operation');
      let claimed: boolean;
      try {
        claimed = await this.state.claimName(cluster.id, record.name, id);
      } catch (error) {
        throw stepFailure('Failed to allocate new volume', 'reserve name', error);
      }
      if (!claimed) {
        throw allocationFailed(`Volume name '${record.name}' already in use`);
      }
    };
    try {
      return await this.operations.start(
        'create',
        cluster.id,
        id,
        () => this.provision(record),
        record.operationId,
        claimName,
        issuer,
      );
    } catch (error) {
      this.index.remove(id);
      throw error;
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
    let marked: VolumeRecord | undefined;
    return this.operations.start(
      'expand',
      record.clusterId,
      volumeId,
      () => this.unlockAfter(marked!, () => this.grow(marked!, delta)),
      operationId,
      async () => {
        marked = await this.lockAndMark(record, operationId, 'ready', expansionFailed);
      },
      issuer,
    );
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
    let marked: VolumeRecord | undefined;
    return this.operations.start(
      'delete',
      record.clusterId,
      volumeId,
      () => this.unlockAfter(marked!, () => this.destroy(marked!)),
      operationId,
      async () => {
        marked = await this.lockAndMark(record, operationId, 'deleting', deleteSetupFailed);
      },
      issuer,
    );
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

  private async unlockAfter(marked: VolumeRecord, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } finally {
      await this.attempt(`unlock volume ${marked.id}`, () =>
        this.state.unlockVolume(marked.clusterId, marked.id, marked.operationId!),
      );
    }
  }

  private async provision(record: VolumeRecord): Promise<void> {
    const { clusterId, id } = record;
    const limitBytes = record.sizeGiB * GIB;
    let step = 'create directory';
    try {
      // A pooled directory of this size already has its quota: the create then runs no gluster command.
      const pooled =
        this.config.warmPool.has(record.sizeGiB) &&
        (await this.state.claimPooledDirectory(clusterId, record.sizeGiB, id));
      await this.state.createVolumeDirectory(clusterId, id, record.name, record.gid, pooled);
      stepReached('create:directory');
      // No record is written until the volume is ready: the operation record, saved first, is what
      // a reconciliation pass needs to roll an interrupted create back, and each write costs a round trip.
      step = 'verify quota';
      if (!pooled || (await this.quotas.readQuota(clusterId, id)) !== limitBytes) {
        step = 'set quota';
        await this.quotas.setQuota(clusterId, id, limitBytes);
        stepReached('create:quota');
        step = 'verify quota';
        await this.verifyQuota(clusterId, id, limitBytes);
      }
      step = 'record volume';
      const ready: VolumeRecord = { ...record, operationId: undefined, state: 'ready' };
      await this.state.saveVolume(ready);
      stepReached('create:ready');
      this.index.put(ready);
    } catch (error) {
      await this.undoCreate(record);
      throw stepFailure('Failed to create volume', step, error);
    }
  }

  private async grow(record: VolumeRecord, deltaGiB: number): Promise<void> {
    const { clusterId, id } = record;
    const directory = volumeDirectory(record);
    const grown: VolumeRecord = { ...record, operationId: undefined, sizeGiB: record.sizeGiB + deltaGiB };
    let step = 'set quota';
    try {
      await this.quotas.setQuota(clusterId, directory, grown.sizeGiB * GIB);
      stepReached('expand:quota');
      step = 'verify quota';
      await this.verifyQuota(clusterId, directory, grown.sizeGiB * GIB);
      step = 'record volume';
      await this.state.saveVolume(grown);
      this.index.put(grown);
    } catch (error) {
      const unchanged: VolumeRecord = { ...record, operationId: undefined };
      await this.attempt(`restore the quota of ${id}`, () =>
        this.quotas.setQuota(clusterId, directory, record.sizeGiB * GIB),
      );
      await this.attempt(`record volume ${id}`, () => this.state.saveVolume(unchanged));
      this.index.put(unchanged);
      throw stepFailure('Failed to expand volume', step, error);
    }
  }

  private async destroy(record: VolumeRecord): Promise<void> {
    const { clusterId, id } = record;
    try {
      // The quota goes into the trash with the directory; the purge removes both in the background,
      // so a delete waits on no gluster command.
      await this.state.trashVolumeDirectory(clusterId, volumeDirectory(record));
    } catch (error) {
      // Nothing was changed yet: the volume stays as it was, usable and listed.
      const unchanged: VolumeRecord = { ...record, operationId: undefined, state: 'ready' };
      await this.attempt(`record volume ${id}`, () => this.state.saveVolume(unchanged));
      this.index.put(unchanged);
      throw stepFailure('Failed to delete volume', 'remove directory', error);
    }
    stepReached('delete:trash');
    // From here on the directory is gone, so the delete must go through.
    try {
      await this.state.releaseName(clusterId, record.name, id);
      await this.state.removeVolume(clusterId, id);
    } catch (error) {
      throw stepFailure('Failed to delete volume', 'remove record', error);
    } finally {
      this.index.remove(id);
    }
this.events.emit(TRASH_FILLED, new TrashFilled(clusterId));
  }

  /**
   * Reads the limit back from the backend. glusterd can briefly list a limit it just accepted as
   * unset while other quota commands run, so a mismatch is read again a few times before it counts.
   */
  private async verifyQuota(clusterId: string, directory: string, limitBytes: number): Promise<void> {
    let actual: number | undefined;
    for (let attempt = 0; attempt < QUOTA_READBACK_ATTEMPTS; attempt += 1) {
      if (attempt > 0) {
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
      actual = await this.quotas.readQuota(clusterId, directory);
      if (actual === limitBytes) {
        return;
      }
    }
    const message = `the quota reads back as ${actual ?? 'missing'} instead of ${limitBytes} bytes`;
    throw Object.assign(new Error(message), { publicMessage: message });
  }

  private async undoCreate(record: VolumeRecord): Promise<void> {
    const { clusterId, id } = record;
    await this.attempt(`remove the directory of ${id}`, () => this.state.trashVolumeDirectory(clusterId, id));
    await this.attempt(`release the name ${record.name}`, () => this.state.releaseName(clusterId, record.name, id));
    await this.attempt(`remove the record of ${id}`, () => this.state.removeVolume(clusterId, id));
    this.index.remove(id);
this.events.emit(TRASH_FILLED, new TrashFilled(clusterId));
  }

  /** Rollback steps are best effort: each is tried, failures are logged for the reconciler. */
  private async attempt(what: string, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.logger.error(`Could not ${what}: ${(error as Error).message}`);
    }
  }

}
