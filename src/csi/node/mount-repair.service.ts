import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { lstat, mkdir } from 'node:fs/promises';
import { Mounter } from '../mounter/mounter.js';
import { KeyedMutex } from './keyed-mutex.js';
import { type PublishedTarget, PublishedTargetsStore } from './published-targets.store.js';

/** How long a statfs of a target may take before the mount counts as not answering. */
export const PROBE_TIMEOUT_MS = 5_000;

export type RepairReason = 'publish' | 'start' | 'stats';
export type RepairOutcome = 'forgotten' | 'healthy' | 'remounted' | 'unanswered';

/**
 * Keeps what this node published mounted. The glusterfs FUSE client is a child of the plugin:
 * when the plugin's container dies, so does the client, and its targets answer ENOTCONN. On start,
 * on every publish and when stats find a dead mount, each recorded target that is dead is lazily
 * unmounted and mounted again at the same path with the same options.
 */
@Injectable()
export class MountRepairService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(MountRepairService.name);
  private pass?: Promise<void>;

  constructor(
    private readonly locks: KeyedMutex,
    private readonly mounter: Mounter,
    private readonly store: PublishedTargetsStore,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.store.load();
  }

  onApplicationBootstrap(): void {
    this.repairAllInBackground('start');
  }

  /** One pass over every recorded target; a pass asked for while one runs joins it. */
  repairAll(reason: RepairReason): Promise<void> {
    this.pass ??= this.runPass(reason).finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  repairAllInBackground(reason: RepairReason): void {
    this.repairAll(reason).catch((error: unknown) =>
      this.logger.error({ err: error, msg: `repair (${reason}) failed` }),
    );
  }

  /**
   * Makes `target` a live mount of `record.plan`; the caller holds the target's lock. A target
   * whose directory is gone was cleaned up by kubelet and is forgotten, except on publish.
   */
  async ensureMounted(target: string, record: PublishedTarget, reason: RepairReason): Promise<RepairOutcome> {
    const entry = await this.mounter.mountAt(target);
    let was = 'not mounted';
    if (entry !== undefined) {
      const probe = await this.mounter.statfs(target, PROBE_TIMEOUT_MS);
      if (probe.state === 'ok' || probe.state === 'failed') {
        return 'healthy';
      }
      if (probe.state === 'timeout') {
        this.logger.warn(
          `${target} (volume ${record.volumeId}) does not answer statfs within ${probe.timeoutMs} ms; left as is`,
        );
        return 'unanswered';
      }
      was = probe.errno;
      await this.mounter.unmount(target, { lazy: true });
    } else if (!(await this.directoryExists(target))) {
      if (reason !== 'publish') {
        await this.store.remove(target);
        this.logger.log(`${target} (volume ${record.volumeId}) is gone from the node; forgotten`);
        return 'forgotten';
      }
      await mkdir(target);
    }
    await this.mounter.mount(record.plan, target);
    this.logger.warn(
      `${target} (volume ${record.volumeId}) was ${was}; mounted ${record.plan.device} again (${reason})`,
    );
    return 'remounted';
  }

  private async runPass(reason: RepairReason): Promise<void> {
    const outcomes: Record<RepairOutcome | 'failed', number> = {
      failed: 0,
      forgotten: 0,
      healthy: 0,
      remounted: 0,
      unanswered: 0,
    };
    for (const [target, record] of this.store.entries()) {
      await this.locks.run(target, async () => {
        // Unpublished or published again while the pass waited for the lock.
        if (this.store.get(target) !== record) {
          return;
        }
        try {
          outcomes[await this.ensureMounted(target, record, reason)] += 1;
        } catch (error) {
          outcomes.failed += 1;
          this.logger.error({ err: error, msg: `could not repair ${target} (volume ${record.volumeId})` });
        }
      });
    }
    if (reason === 'start' || outcomes.remounted + outcomes.failed + outcomes.forgotten > 0) {
      this.logger.log(`repair pass (${reason}): ${JSON.stringify(outcomes)}`);
    }
  }

  private async directoryExists(target: string): Promise<boolean> {
    try {
      return (await lstat(target)).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return false;
      }
      throw error;
    }
  }
}
