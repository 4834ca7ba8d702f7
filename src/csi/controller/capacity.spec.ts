import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { GIB } from '../../backends/backend.types.js';
import { bytesOfGiB, sizeFits, sizeGiBFor } from './capacity.js';

const range = (required: number | string, limit: number | string = 0) => ({
  limit_bytes: String(limit),
  required_bytes: String(required),
});

describe('sizeGiBFor', () => {
  it('should round the requirement up to whole GiB', () => {
    expect(sizeGiBFor(range(1))).toBe(1);
    expect(sizeGiBFor(range(GIB))).toBe(1);
    expect(sizeGiBFor(range(GIB + 1))).toBe(2);
    expect(sizeGiBFor(range(1.5 * GIB, 2 * GIB))).toBe(2);
  });

  it('should give 1 GiB when no size is asked for, or only a limit of at least that', () => {
    expect(sizeGiBFor(null)).toBe(1);
    expect(sizeGiBFor(range(0, 0))).toBe(1);
    expect(sizeGiBFor(range(0, 5 * GIB))).toBe(1);
  });

  it.each([
    ['a limit below the rounded requirement', range(GIB + 1, GIB + 100)],
    ['a limit below 1 GiB', range(0, GIB - 1)],
    ['a requirement above its limit', range(3 * GIB, 2 * GIB)],
    ['a size beyond 8 PiB', range('9223372036854775807')],
  ])('should answer OUT_OF_RANGE for %s', (_, asked) => {
    expect(() => sizeGiBFor(asked)).toThrow(expect.objectContaining({ code: status.OUT_OF_RANGE }));
  });

  it.each([['-1'], ['1e9'], ['12abc']])('should answer INVALID_ARGUMENT for required_bytes %s', (bytes) => {
    expect(() => sizeGiBFor(range(bytes))).toThrow(expect.objectContaining({ code: status.INVALID_ARGUMENT }));
  });
});

describe('sizeFits', () => {
  it('should accept a volume inside the range and refuse one outside it', () => {
    expect(sizeFits(2, range(1.5 * GIB))).toBe(true);
    expect(sizeFits(2, range(0, 0))).toBe(true);
    expect(sizeFits(1, range(2 * GIB))).toBe(false);
    expect(sizeFits(3, range(GIB, 2 * GIB))).toBe(false);
  });

  it('should give exact int64 byte counts', () => {
    expect(bytesOfGiB(8 * 1024 * 1024)).toBe('9007199254740992');
  });
});
