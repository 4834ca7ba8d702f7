import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { volumeDirectory, type VolumeRecord } from '../backends/backend.types.js';
import { TRASH_FILLED, TrashFilled } from '../backends/state/volume-state.events.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { VolumeIndexService } from './volume-index.service.js';

/**
 * The one way back to "this volume never was": its directory (with its quota) into the trash, its
 * name and record released, any lock on it freed. Used when a create fails and by the reconciler.
 */
@Injectable()
export class VolumeUndoService {
  constructor(
    private readonly events: EventEmitter2,
    private readonly index: VolumeIndexService,
    private readonly state: VolumeStateStore,
  ) {}

  /**
   * Every step is tried even when an earlier one failed; the first failure is thrown at the end.
   * Without a record, every name reserved for the volume is released.
   */
  async discard(clusterId: string, volumeId: string, record?: VolumeRecord): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      await step().catch((error: unknown) => failures.push(error));
    };
    await attempt(() => this.state.trashVolumeDirectory(clusterId, record ? volumeDirectory(record) : volumeId));
    this.events.emit(TRASH_FILLED, new TrashFilled(clusterId));
    await attempt(() => this.releaseNames(clusterId, volumeId, record?.name));
    await attempt(() => this.state.removeVolume(clusterId, volumeId));
    await attempt(() => this.releaseLock(clusterId, volumeId));
    this.index.remove(volumeId);
    if (failures.length > 0) {
      throw failures[0];
    }
  }

  private async releaseNames(clusterId: string, volumeId: string, name?: string): Promise<void> {
    if (name !== undefined) {
      return this.state.releaseName(clusterId, name, volumeId);
    }
    for (const [reserved, owner] of await this.state.loadNames(clusterId)) {
      if (owner === volumeId) {
        await this.state.releaseName(clusterId, reserved, volumeId);
      }
    }
  }

  /** Frees the volume's lock, whichever operation holds it. */
  async releaseLock(clusterId: string, volumeId: string): Promise<void> {
    const holder = await this.state.volumeLockHolder(clusterId, volumeId);
    if (holder) {
      await this.state.unlockVolume(clusterId, volumeId, holder);
    }
  }
}
