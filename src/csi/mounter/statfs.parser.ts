import type { FsStats, StatfsResult } from './mounter.js';

/** `stat --file-system` format: type (hex), fundamental block size, blocks, available, free, inodes, free inodes. */
export const STATFS_FORMAT = '%t %S %b %a %f %c %d';

/** strerror texts (glibc) of the errors that mean the mount itself is broken, not the path. */
const DEAD_MOUNT_ERRORS: Record<string, string> = {
  'Input/output error': 'EIO',
  'Stale file handle': 'ESTALE',
  'Transport endpoint is not connected': 'ENOTCONN',
};

/** Reads `stat -f -c STATFS_FORMAT` output; undefined when it is not seven numbers. */
export function parseStatfs(stdout: string): FsStats | undefined {
  const fields = stdout.trim().split(/\s+/);
  if (fields.length !== 7 || !/^[0-9a-f]+$/i.test(fields[0]!) || !fields.slice(1).every((f) => /^\d+$/.test(f))) {
    return undefined;
  }
  const [blockSize, blocks, available, free, inodes, freeInodes] = fields.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    availableBytes: available * blockSize,
    freeInodes,
    fsType: parseInt(fields[0]!, 16),
    totalBytes: blocks * blockSize,
    totalInodes: inodes,
    usedBytes: (blocks - free) * blockSize,
  };
}

/** Classifies a failed `stat -f` by the strerror text at the end of its message. */
export function statfsFailure(stderr: string): StatfsResult {
  const message =
    stderr
      .trim()
      .split('\n')
      .at(-1)
      ?.replace(/^stat: /, '') || 'stat failed without a message';
  for (const [text, errno] of Object.entries(DEAD_MOUNT_ERRORS)) {
    if (message.endsWith(text)) {
      return { errno, message, state: 'dead' };
    }
  }
  return { message, state: 'failed' };
}
