import type { FindingKind } from './reconciler.types.js';

export const RECONCILER_PASSED = 'reconciler.passed';

/** A periodic pass (with repair) finished: what it found by kind, and how many such passes ran since start-up. */
export class ReconcilerPassed {
  constructor(
    readonly findings: ReadonlyMap<FindingKind, number>,
    readonly passes: number,
  ) {}
}
