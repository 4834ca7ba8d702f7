interface Waiter<V> {
  reject: (error: unknown) => void;
  resolve: (value: V | undefined) => void;
}

/**
 * Turns many single-key reads into few batched ones: a read asked for while a batch is in flight
 * waits for the next batch, which then fetches every key asked for meanwhile in one call. With no
 * contention a read goes out at once, alone.
 */
export class KeyedBatcher<V> {
  private pending = new Map<string, Waiter<V>[]>();
  private draining = false;

  constructor(
    private readonly fetch: (keys: string[]) => Promise<Map<string, V>>,
    private readonly maxBatch = 100,
  ) {}

  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.set(key, [...(this.pending.get(key) ?? []), { reject, resolve }]);
      if (!this.draining) {
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.pending.size > 0) {
      const batch = new Map([...this.pending].slice(0, this.maxBatch));
      for (const key of batch.keys()) {
        this.pending.delete(key);
      }
      try {
        const values = await this.fetch([...batch.keys()]);
        for (const [key, waiters] of batch) {
          waiters.forEach((waiter) => waiter.resolve(values.get(key)));
        }
      } catch (error) {
        for (const waiters of batch.values()) {
          waiters.forEach((waiter) => waiter.reject(error));
        }
      }
    }
    this.draining = false;
  }
}
