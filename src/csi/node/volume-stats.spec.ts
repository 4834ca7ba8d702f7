import { describe, expect, it } from 'vitest';
import { volumeStats } from './volume-stats.js';

const MiB = 1024 * 1024;
const stats = (availableBytes: number, usedBytes: number) => ({
  availableBytes,
  freeInodes: 900,
  fsType: 0x65735546,
  totalBytes: 10 * MiB,
  totalInodes: 1000,
  usedBytes,
});

describe('volumeStats', () => {
  it('should report bytes and inodes, the quota as the total, and a normal condition', () => {
    expect(volumeStats({ state: 'ok', stats: stats(6 * MiB, 4 * MiB) })).toEqual({
      condition: { abnormal: false, message: 'mounted and answering' },
      usage: [
        { available: 6 * MiB, total: 10 * MiB, unit: 'BYTES', used: 4 * MiB },
        { available: 900, total: 1000, unit: 'INODES', used: 100 },
      ],
    });
  });

  it('should call a full quota abnormal, with the figures', () => {
    expect(volumeStats({ state: 'ok', stats: stats(0, 11 * MiB) }).condition).toEqual({
      abnormal: true,
      message: `quota exceeded: ${11 * MiB} of ${10 * MiB} bytes used, writes fail with EDQUOT`,
    });
  });

  it('should call a dead, silent or failing mount abnormal, with no usage and the reason', () => {
    const dead = volumeStats({
      errno: 'ENOTCONN',
      message: "cannot read '/t': Transport endpoint is not connected",
      state: 'dead',
    });
    expect(dead.usage).toEqual([]);
    expect(dead.condition).toEqual({
      abnormal: true,
      message: "mount is dead (ENOTCONN: cannot read '/t': Transport endpoint is not connected); being remounted",
    });
    expect(volumeStats({ state: 'timeout', timeoutMs: 5000 }).condition.message).toContain('within 5000 ms');
    expect(volumeStats({ message: 'Permission denied', state: 'failed' }).condition).toEqual({
      abnormal: true,
      message: 'statfs failed: Permission denied',
    });
  });
});
