import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicTask } from './periodic-task.js';

describe(PeriodicTask.name, () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('should wait the interval after each run ends, so slow runs never overlap', async () => {
    const starts: number[] = [];
    let running = 0;
    let overlapped = false;
    const task = new PeriodicTask(1000, async () => {
      starts.push(Date.now());
      overlapped ||= running > 0;
      running += 1;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      running -= 1;
    });
    const begin = Date.now();

    task.start();
    await vi.advanceTimersByTimeAsync(10_000);
    task.stop();

    expect(starts.map((start) => start - begin)).toEqual([1000, 4500, 8000]);
    expect(overlapped).toBe(false);
  });

  it('should go on after a run that failed, and run no more once stopped', async () => {
    const task = vi.fn().mockRejectedValueOnce(new Error('quota list timed out')).mockResolvedValue(undefined);
    const periodic = new PeriodicTask(1000, task).start();

    await vi.advanceTimersByTimeAsync(2000);
    expect(task).toHaveBeenCalledTimes(2);
    periodic.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(task).toHaveBeenCalledTimes(2);
  });
});
