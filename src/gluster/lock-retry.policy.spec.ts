import { describe, expect, it } from 'vitest';
import { GlusterCommandError } from './gluster-command.error.js';
import { LockRetryPolicy } from './lock-retry.policy.js';

const failure = { args: [], exitCode: 1, timedOut: false };
const LOCKED = new GlusterCommandError({ ...failure, stderr: 'Another transaction is in progress for v.' });
const MISSING = new GlusterCommandError({ ...failure, stderr: 'Volume v does not exist' });

/** An attempt that fails with `errors`, one per call, then answers 'done'. */
function failing(errors: Error[]): { attempt: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    attempt: () => {
      const error = errors[calls++];
      return error === undefined ? Promise.resolve('done') : Promise.reject(error);
    },
    calls: () => calls,
  };
}

describe(LockRetryPolicy.name, () => {
  it('should keep the production limits unless told otherwise', () => {
    expect({ ...new LockRetryPolicy() }).toEqual({ initialDelayMs: 200, maxDelayMs: 3000, totalBudgetMs: 60_000 });
    expect({ ...new LockRetryPolicy({ totalBudgetMs: 5 }) }).toMatchObject({ initialDelayMs: 200, totalBudgetMs: 5 });
  });

  it('should retry a transient failure with doubling, jittered pauses until it succeeds', async () => {
    const sut = new LockRetryPolicy({ initialDelayMs: 8, maxDelayMs: 16, totalBudgetMs: 1000 });
    const { attempt, calls } = failing([LOCKED, LOCKED, LOCKED]);
    const pauses: number[] = [];
    expect(await sut.run(attempt, (_error, pause) => pauses.push(pause))).toBe('done');
    expect(calls()).toBe(4);
    // Between half and all of 8, 16 and (capped) 16 ms.
    expect(pauses.map((pause, retry) => pause >= [4, 8, 8][retry] && pause <= [8, 16, 16][retry])).toEqual([
      true,
      true,
      true,
    ]);
  });

  it('should not retry a failure that is not transient', async () => {
    const { attempt, calls } = failing([MISSING]);
    await expect(new LockRetryPolicy().run(attempt, () => undefined)).rejects.toBe(MISSING);
    expect(calls()).toBe(1);
  });

  it('should give up with the last error when the next pause would pass the budget', async () => {
    const sut = new LockRetryPolicy({ initialDelayMs: 200, totalBudgetMs: 50 });
    const { attempt, calls } = failing([LOCKED, LOCKED]);
    await expect(sut.run(attempt, () => undefined)).rejects.toBe(LOCKED);
    expect(calls()).toBe(1);
  });
});
