import { GIB } from '../../backends/backend.types.js';
import { MAX_SIZE_GIB } from '../../volumes/volume-request.rules.js';
import { invalidArgument, outOfRange } from '../csi.error.js';
import type { CapacityRange, Int64 } from '../csi.types.js';

/** What a volume gets when the request names no size. */
export const DEFAULT_SIZE_GIB = 1;
const GIB_BIG = BigInt(GIB);

function bytesOf(field: string, value: Int64 | undefined): bigint {
  if (value === undefined || value === '') {
    return 0n;
  }
  if (!/^-?\d{1,20}$/.test(value)) {
    throw invalidArgument(`${field} is not a number of bytes`);
  }
  const bytes = BigInt(value);
  if (bytes < 0n) {
    throw invalidArgument(`${field} must not be negative`);
  }
  return bytes;
}

/**
 * The whole GiB a volume gets for a capacity range: the requirement rounded up (a quota is set
 * in GiB), at least 1 GiB; OUT_OF_RANGE when no whole GiB lies inside the range or the size is
 * beyond what piragua can represent.
 */
export function sizeGiBFor(range: CapacityRange | null | undefined): number {
  const required = bytesOf('capacity_range.required_bytes', range?.required_bytes);
  const limit = bytesOf('capacity_range.limit_bytes', range?.limit_bytes);
  if (limit !== 0n && required > limit) {
    throw outOfRange(`required_bytes ${required} is more than limit_bytes ${limit}`);
  }
  const wanted = required === 0n ? BigInt(DEFAULT_SIZE_GIB) : (required + GIB_BIG - 1n) / GIB_BIG;
  const sizeGiB = limit !== 0n && required === 0n && limit < wanted * GIB_BIG ? limit / GIB_BIG : wanted;
  if (sizeGiB < 1n || (limit !== 0n && sizeGiB * GIB_BIG > limit)) {
    throw outOfRange(`no whole GiB lies between ${required} and ${limit} bytes; piragua sizes volumes in GiB`);
  }
  if (sizeGiB > BigInt(MAX_SIZE_GIB)) {
    throw outOfRange(`more than the largest volume piragua can make (${MAX_SIZE_GIB} GiB)`);
  }
  return Number(sizeGiB);
}

/** True when a volume of `sizeGiB` satisfies the range: the idempotency check of a repeated create. */
export function sizeFits(sizeGiB: number, range: CapacityRange | null | undefined): boolean {
  const bytes = BigInt(sizeGiB) * GIB_BIG;
  const required = bytesOf('capacity_range.required_bytes', range?.required_bytes);
  const limit = bytesOf('capacity_range.limit_bytes', range?.limit_bytes);
  return bytes >= required && (limit === 0n || bytes <= limit);
}

export const bytesOfGiB = (sizeGiB: number): Int64 => (BigInt(sizeGiB) * GIB_BIG).toString();
