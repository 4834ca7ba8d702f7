export const WARM_POOL_COUNTED = 'warm-pool.counted';

/** Ready pooled directories on a cluster by size in GiB, as a refill last counted them. */
export class WarmPoolCounted {
  constructor(
    readonly clusterId: string,
    readonly ready: ReadonlyMap<number, number>,
  ) {}
}
