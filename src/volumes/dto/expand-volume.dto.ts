import { OptionalInt } from '../../common/validation.js';

/** Heketi's VolumeExpandRequest. */
export class ExpandVolumeDto {
  /** A delta: the new size is the current size plus this. */
  @OptionalInt({ description: 'GiB to add to the current size (a delta, not the new total)', example: 1 })
  expand_size?: number;
}
