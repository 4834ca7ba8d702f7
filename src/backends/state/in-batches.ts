/**
 * Runs `read` over many items a batch at a time: on a FUSE mount each read is a few network round
 * trips, and a few dozen in flight keep them overlapping without flooding the brick.
 */
export async function inBatches<T, R>(items: T[], read: (item: T) => Promise<R>, size = 32): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(read))));
  }
  return results;
}
