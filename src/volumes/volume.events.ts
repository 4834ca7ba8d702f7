import type { VolumeRecord } from '../backends/backend.types.js';

export const VOLUME_CREATED = 'volume.created';
export const VOLUME_EXPANDED = 'volume.expanded';

/** A volume became ready, or ready at a new size: its record as saved, quota included. */
export class VolumeSized {
  constructor(readonly record: VolumeRecord) {}
}
