/**
 * Runs `task` every `intervalMs`, counted from the end of the previous run: a run that takes longer
 * than the interval (a `quota list` over thousands of directories does) delays the next one
 * instead of piling up behind it. Timers never keep the process alive.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
  ) {}

  start(): this {
    this.schedule();
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) {
      return;
    }
    this.timer = setTimeout(() => {
      // Tasks report their own failures; a rejection must not stop the schedule.
      void this.task()
        .catch(() => undefined)
        .finally(() => this.schedule());
    }, this.intervalMs).unref();
  }
}
