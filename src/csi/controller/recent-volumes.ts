import type { PiraguaVolume } from '../../heketi-client/heketi-api.types.js';
import type { VolumeProvisioner } from './volume-provisioner.js';

/** Long enough for a CO's retries of one create (external-provisioner backs off from 1 s), short enough to stay true. */
const KEEP_MS = 60_000;
const MAX_ENTRIES = 4096;

/**
 * Volumes this controller created lately, by provisioner and name. A CO that gave up on a slow
 * create retries it with the same name; answering that retry from memory, not with another
 * lookup through the API, is what lets it succeed even under a tight deadline.
 */
export class RecentVolumes {
  private readonly entries = new Map<
    string,
    { provisioner: VolumeProvisioner; until: number; volume: PiraguaVolume }
  >();

  remember(provisioner: VolumeProvisioner, volume: PiraguaVolume): void {
    if (this.entries.size >= MAX_ENTRIES) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(volume.name, { provisioner, until: Date.now() + KEEP_MS, volume });
  }

  find(provisioner: VolumeProvisioner, name: string): PiraguaVolume | undefined {
    const entry = this.entries.get(name);
    if (entry === undefined || entry.provisioner !== provisioner) {
      return undefined;
    }
    if (entry.until < Date.now()) {
      this.entries.delete(name);
      return undefined;
    }
    return entry.volume;
  }

  /** The volume changed (expanded) or is going away: the next create of its name asks the backend. */
  forget(volumeId: string): void {
    for (const [name, entry] of this.entries) {
      if (entry.volume.id === volumeId) {
        this.entries.delete(name);
      }
    }
  }
}
