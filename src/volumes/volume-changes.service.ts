import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { GIB, volumeDirectory, type VolumeRecord } from '../backends/backend.types.js';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { TRASH_FILLED, TrashFilled } from '../backends/state/volume-state.events.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { stepReached } from '../common/step-channel.js';
import { stepFailure } from '../common/step-failure.js';
import { AppConfig } from '../config/app-config.js';
import { VOLUME_CREATED, VOLUME_EXPANDED, VolumeSized } from './volume.events.js';
import { VolumeIndexService } from './volume-index.service.js';
import { VolumeUndoService } from './volume-undo.service.js';

const QUOTA_READBACK_ATTEMPTS = 4;

/**
 * The storage steps of a create, an expand and a delete, run in the background once the client
 * has its 202. A step that fails rolls back what the earlier ones did, so a failure never leaves a
 * half-made volume or an orphan quota.
 */
@Injectable()
export class VolumeChangesService {
  private readonly logger = new Logger(VolumeChangesService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly events: EventEmitter2,
    private readonly index: VolumeIndexService,
    private readonly quotas: QuotaBackend,
    private readonly state: VolumeStateStore,
    private readonly undo: VolumeUndoService,
  ) {}

  async provision(record: VolumeRecord): Promise<void> {
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
      this.events.emit(VOLUME_CREATED, new VolumeSized(ready));
    } catch (error) {
      await this.attempt(`undo the create of ${id}`, () => this.undo.discard(clusterId, id, record));
      throw stepFailure('Failed to create volume', step, error);
    }
  }

  async grow(record: VolumeRecord, deltaGiB: number): Promise<void> {
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
      this.events.emit(VOLUME_EXPANDED, new VolumeSized(grown));
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

  async destroy(record: VolumeRecord): Promise<void> {
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

  /** Runs `work` on a volume its operation has locked, and frees the lock however the work ends. */
  async unlockAfter(marked: VolumeRecord, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } finally {
      await this.attempt(`unlock volume ${marked.id}`, () =>
        this.state.unlockVolume(marked.clusterId, marked.id, marked.operationId!),
      );
    }
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

  /** Rollback steps are best effort: failures are logged, and the reconciler finishes the job. */
  private async attempt(what: string, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.logger.error(`Could not ${what}: ${(error as Error).message}`);
    }
  }
}
