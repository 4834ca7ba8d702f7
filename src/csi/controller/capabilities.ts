import { invalidArgument } from '../csi.error.js';
import { ACCESS_MODES, type VolumeCapability } from '../csi.types.js';

/** Every file access mode works on a shared file system, many writers on many nodes included. */
const FILE_MODES = new Set<string>(ACCESS_MODES.slice(1));

/** Why piragua cannot serve this capability, or undefined when it can. */
export function unsupportedReason(capability: VolumeCapability | null | undefined): string | undefined {
  if (!capability) {
    return 'a volume capability is empty';
  }
  if (capability.block || capability.access_type === 'block') {
    return 'block access is not supported: a piragua volume is a directory on a shared file system';
  }
  if (!capability.mount) {
    return 'access_type must be mount';
  }
  const mode = capability.access_mode?.mode;
  if (mode === undefined || !FILE_MODES.has(mode)) {
    return `access mode ${JSON.stringify(mode ?? 'missing')} is not supported`;
  }
  return undefined;
}

/** INVALID_ARGUMENT when the list is empty or one of its capabilities cannot be served. */
export function requireCapabilities(capabilities: VolumeCapability[] | null | undefined, field: string): void {
  if (!Array.isArray(capabilities) || capabilities.length === 0) {
    throw invalidArgument(`${field} is required`);
  }
  for (const capability of capabilities) {
    const reason = unsupportedReason(capability);
    if (reason !== undefined) {
      throw invalidArgument(reason);
    }
  }
}
