import { setTimeout as sleep } from 'node:timers/promises';
import { GlusterCommandError } from './gluster-command.error.js';

export interface LockRetryLimits {
  initialDelayMs: number;
  maxDelayMs: number;
  /** No retry starts once waiting for it would pass this much time since the first attempt. */
  totalBudgetMs: number;
}

/**
 * How long a gluster command that fails transiently (see GlusterCommandError.isTransient) is tried
 * again: exponential backoff with jitter. GlusterModule provides the production limits.
 */
export class LockRetryPolicy implements LockRetryLimits {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly totalBudgetMs: number;

  constructor({ initialDelayMs = 200, maxDelayMs = 3000, totalBudgetMs = 60_000 }: Partial<LockRetryLimits> = {}) {
    this.initialDelayMs = initialDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.totalBudgetMs = totalBudgetMs;
  }

  /** Runs `attempt` until it succeeds, fails for good or the budget is spent; `onRetry` hears of each pause. */
  async run<T>(attempt: () => Promise<T>, onRetry: (error: GlusterCommandError, pauseMs: number) => void): Promise<T> {
    const started = Date.now();
    for (let retries = 0; ; retries++) {
      try {
        return await attempt();
      } catch (error) {
        const pause = this.pauseBefore(error, retries, Date.now() - started);
        if (pause === undefined) {
          throw error;
        }
        onRetry(error as GlusterCommandError, pause);
        await sleep(pause);
      }
    }
  }

  private pauseBefore(error: unknown, retries: number, elapsedMs: number): number | undefined {
    if (!(error instanceof GlusterCommandError && error.isTransient)) {
      return undefined;
    }
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** retries);
    // Half fixed, half random: spreads instances that collided at the same moment.
    const pause = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    return elapsedMs + pause > this.totalBudgetMs ? undefined : pause;
  }
}
