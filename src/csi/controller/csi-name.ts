import { hash } from 'node:crypto';
import { MAX_NAME_LENGTH, VOLUME_NAME } from '../../volumes/volume-request.rules.js';
import { invalidArgument } from '../csi.error.js';

/** The spec's limit for strings, volume names included. */
export const MAX_CSI_STRING_BYTES = 128;
/** Characters CSI bans in a volume name (control characters other than common whitespace). */
const BANNED = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const HASH_LENGTH = 16;
/** Room kept for `-<hash>` in a mapped name. */
const KEPT_LENGTH = 96;

/** Throws INVALID_ARGUMENT unless `value` is a non-empty CSI string within the spec's byte limit. */
export function checkCsiString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw invalidArgument(`${field} is required`);
  }
  if (Buffer.byteLength(value) > MAX_CSI_STRING_BYTES) {
    throw invalidArgument(`${field} is longer than ${MAX_CSI_STRING_BYTES} bytes`);
  }
  return value;
}

/**
 * The Heketi volume name for a CSI volume name. A name Heketi accepts (`pvc-<uid>`, what
 * Kubernetes sends) is kept as it is, so `heketi-cli volume list` shows it; any other is mapped
 * deterministically to its allowed characters plus a hash of the whole name, so that retries
 * from any controller find the same volume and two names never share one.
 */
export function heketiNameFor(csiName: unknown): string {
  const name = checkCsiString('name', csiName);
  if (BANNED.test(name)) {
    throw invalidArgument('name contains control characters');
  }
  if (VOLUME_NAME.test(name) && name.length <= MAX_NAME_LENGTH) {
    return name;
  }
  const kept = name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, KEPT_LENGTH);
  return `${kept}-${hash('sha256', name, 'hex').slice(0, HASH_LENGTH)}`;
}
