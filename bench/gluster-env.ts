import type { GlusterTestVolume } from '../test/gluster/gluster-volume.fixture.js';

/** The environment of a piragua serving `volume`, mounted under `mountDir`, as the benchmarks run it. */
export function glusterEnv(volume: GlusterTestVolume, mountDir: string, extra: Record<string, string> = {}): Record<string, string> {
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
