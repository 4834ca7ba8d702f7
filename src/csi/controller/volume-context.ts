import type { PiraguaVolume } from '../../heketi-client/heketi-api.types.js';
import type { StringMap, Volume } from '../csi.types.js';
import { bytesOfGiB } from './capacity.js';

/** Everything a node needs to mount the volume, so the node plugin never calls the API (see csi-contract). */
export function volumeContextOf(volume: PiraguaVolume): StringMap {
  const { location } = volume;
  return {
    backend: location.backend,
    ...(volume.gid ? { gid: String(volume.gid) } : {}),
    glusterServers: location.glusterServers.join(','),
    glusterVolume: location.glusterVolume,
    ...(location.localPath !== undefined ? { localPath: location.localPath } : {}),
    path: location.path,
  };
}

/** capacity_bytes is the quota itself, in whole GiB, so the PV shows what the volume really holds. */
export function csiVolumeOf(volume: PiraguaVolume): Volume {
  return {
    capacity_bytes: bytesOfGiB(volume.size ?? 0),
    volume_context: volumeContextOf(volume),
    volume_id: volume.id,
  };
}
