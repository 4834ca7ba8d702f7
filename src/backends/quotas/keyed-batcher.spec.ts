import { describe, expect, it } from 'vitest';
import { KeyedBatcher } from './keyed-batcher.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => ((resolve = ok), (reject = fail)));
  return { promise, reject, resolve };
}

describe(KeyedBatcher.name, () => {
  it('should send a lone read at once, and batch the reads that come while it is in flight', async () => {
    const calls: string[][] = [];
    const gates = [deferred<void>(), deferred<void>()];
    const sut = new KeyedBatcher<number>(async (keys) => {
      calls.push(keys);
      await gates[calls.length - 1].promise;
      return new Map(keys.map((key) => [key, key.length]));
    });

    const first = sut.get('/a');
    expect(calls).toEqual([['/a']]);
    const more = [sut.get('/bb'), sut.get('/ccc'), sut.get('/bb')];
    gates[0].resolve();
    expect(await first).toBe(2);
    await Promise.resolve();
    expect(calls).toEqual([['/a'], ['/bb', '/ccc']]);
    gates[1].resolve();
    expect(await Promise.all(more)).toEqual([3, 4, 3]);
  });

  it('should answer undefined for a key the fetch did not return, and reject a whole failed batch', async () => {
    let fail = true;
    const sut = new KeyedBatcher<number>(async (keys) => {
      if (fail) {
        fail = false;
        throw new Error('gluster down');
      }
      return new Map(keys.filter((key) => key !== '/missing').map((key) => [key, 1]));
    });
    await expect(sut.get('/a')).rejects.toThrow('gluster down');
    expect(await sut.get('/missing')).toBeUndefined();
    expect(await sut.get('/a')).toBe(1);
  });

  it('should split more keys than a batch takes over several calls', async () => {
    const sizes: number[] = [];
    const gate = deferred<void>();
    const sut = new KeyedBatcher<number>(async (keys) => {
      sizes.push(keys.length);
      await gate.promise;
      return new Map(keys.map((key) => [key, 0]));
    }, 2);
    const reads = ['/0', '/1', '/2', '/3', '/4', '/5'].map((key) => sut.get(key));
    gate.resolve();
    await Promise.all(reads);
    expect(sizes).toEqual([1, 2, 2, 1]);
  });
});
