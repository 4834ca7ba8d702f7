import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlusterTestVolume } from '../test/gluster/gluster-volume.fixture.js';
import { unmount } from '../test/gluster/gluster-shell.js';

/** The environment of a piragua serving `volume`, mounted under `mountDir`, as the benchmarks run it. */
export function glusterEnv(
  volume: GlusterTestVolume,
  mountDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    HEKETI_MAX_INFLIGHT_OPERATIONS: '64',
    LOG_LEVEL: 'warn',
    PIRAGUA_BACKEND: 'gluster',
    PIRAGUA_GLUSTER_SERVER: volume.server,
    PIRAGUA_GLUSTER_VOLUMES: volume.volume,
    PIRAGUA_MOUNT_DIR: mountDir,
    ...extra,
  };
}

/** A new, empty directory for piragua's mounts (PIRAGUA_MOUNT_DIR). */
export function benchMountDir(): string {
  return mkdtempSync(join(tmpdir(), 'bench-mounts-'));
}

/**
 * Unmounts piragua's mount of `volume` and removes the directories. rmdir, not rm -r: a mount that
 * would not go away is left alone, never emptied through.
 */
export async function removeBenchMounts(mountDir: string, volume: GlusterTestVolume): Promise<void> {
  const mountPoint = join(mountDir, volume.volume);
  await unmount(mountPoint);
  try {
    rmdirSync(mountPoint);
    rmdirSync(mountDir);
  } catch (error) {
    console.warn(`left ${mountDir} behind: ${(error as Error).message}`);
  }
}
