import type { StatfsResult } from '../mounter/mounter.js';

export interface VolumeUsage {
  available: number;
  total: number;
  unit: 'BYTES' | 'INODES';
  used: number;
}

export interface VolumeStats {
  condition: { abnormal: boolean; message: string };
  usage: VolumeUsage[];
}

/**
 * NodeGetVolumeStats from a statfs of the target. On Gluster, quota-deem-statfs makes statfs
 * report the directory's quota as the size, so `total` is the quota and a full quota shows as 0
 * bytes available.
 */
export function volumeStats(result: StatfsResult): VolumeStats {
  switch (result.state) {
    case 'ok': {
      const { stats } = result;
      const usage: VolumeUsage[] = [
        { available: stats.availableBytes, total: stats.totalBytes, unit: 'BYTES', used: stats.usedBytes },
        {
          available: stats.freeInodes,
          total: stats.totalInodes,
          unit: 'INODES',
          used: stats.totalInodes - stats.freeInodes,
        },
      ];
      const full = stats.totalBytes > 0 && stats.availableBytes <= 0;
      return {
        condition: full
          ? {
              abnormal: true,
              message: `quota exceeded: ${stats.usedBytes} of ${stats.totalBytes} bytes used, writes fail with EDQUOT`,
            }
          : { abnormal: false, message: 'mounted and answering' },
        usage,
      };
    }
    case 'dead':
      return {
        condition: { abnormal: true, message: `mount is dead (${result.errno}: ${result.message}); being remounted` },
        usage: [],
      };
    case 'timeout':
      return {
        condition: {
          abnormal: true,
          message: `statfs did not answer within ${result.timeoutMs} ms: the Gluster servers may be unreachable`,
        },
        usage: [],
      };
    case 'failed':
      return { condition: { abnormal: true, message: `statfs failed: ${result.message}` }, usage: [] };
  }
}
