import { publicReason } from '../common/step-failure.js';
import type { Finding, FindingKind } from './reconciler.types.js';

/** A finding, repaired by `action` when `repair` is asked for; a failed repair says why, as a client may read it. */
export async function attemptRepair(
  repair: boolean,
  kind: FindingKind,
  volumeId: string,
  detail: string,
  action: () => Promise<unknown>,
): Promise<Finding> {
  if (!repair) {
    return { detail, kind, repaired: false, volumeId };
  }
  try {
    await action();
    return { detail, kind, repaired: true, volumeId };
  } catch (error) {
    const reason = publicReason(`repairing ${kind} of ${volumeId}`, error);
    return { detail: `${detail}; repair failed: ${reason}`, kind, repaired: false, volumeId };
  }
}
