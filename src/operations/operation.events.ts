import type { OperationRecord } from '../backends/backend.types.js';

export const OPERATION_ENDED = 'operation.ended';

/** An operation this instance ran has ended, succeeded or failed; for metrics, the audit log and the warm pool. */
export class OperationEnded {
  constructor(
    readonly record: OperationRecord,
    readonly durationMs: number,
  ) {}
}
