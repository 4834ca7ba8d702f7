import { Injectable, Logger } from '@nestjs/common';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { MountCommandError, MountVanishedError } from './mounter.errors.js';
import { type MountEntry, Mounter, type MountPlan, type StatfsResult } from './mounter.js';
import { parseMountInfo, topmostAt } from './mountinfo.parser.js';
import { statfsWithin } from './statfs.probe.js';

/** mount.glusterfs waits for the volfile; a server that does not answer within this is down. */
const COMMAND_TIMEOUT_MS = 60_000;
/** umount's texts for a target that is already unmounted (util-linux). */
const NOT_MOUNTED = /not mounted|no mount point specified/i;

/** The real mounts: `mount`, `umount` and `stat -f` with argv arrays, never a shell. */
@Injectable()
export class SystemMounter extends Mounter {
  private readonly logger = new Logger(SystemMounter.name);

  async mount(plan: MountPlan, target: string): Promise<void> {
    switch (plan.fstype) {
      case 'glusterfs': {
        const options = plan.options.length > 0 ? ['-o', plan.options.join(',')] : [];
        await this.run('mount', ['-t', 'glusterfs', ...options, plan.device, target]);
        break;
      }
      case 'bind':
        await this.run('mount', ['--bind', plan.device, target]);
        if (plan.options.length > 0) {
          // A bind mount takes ro and the like only from a remount of itself.
          await this.run('mount', ['-o', ['remount', 'bind', ...plan.options].join(','), target]).catch(
            async (error: unknown) => {
              await this.unmount(target);
              throw error;
            },
          );
        }
        break;
    }
    const entry = await this.mountAt(target);
    if (entry === undefined || (plan.fstype === 'glusterfs' && entry.fstype !== 'fuse.glusterfs')) {
      throw new MountVanishedError(plan.device, target);
    }
  }

  async mountAt(target: string): Promise<MountEntry | undefined> {
    return topmostAt(parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8')), target);
  }

  statfs(target: string, timeoutMs: number): Promise<StatfsResult> {
    return statfsWithin(target, timeoutMs);
  }

  async unmount(target: string, options: { lazy?: boolean } = {}): Promise<void> {
    await this.run('umount', options.lazy === true ? ['-l', target] : [target]).catch((error: unknown) => {
      if (!(error instanceof MountCommandError && NOT_MOUNTED.test(error.stderr))) {
        throw error;
      }
    });
  }

  private async run(command: 'mount' | 'umount', args: string[]): Promise<void> {
    const started = Date.now();
    // stdout ignored: the glusterfs client that mount forks must not hold a pipe we wait on.
    const result = await execa(command, args, {
      forceKillAfterDelay: 1000,
      reject: false,
      stdin: 'ignore',
      stdout: 'ignore',
      timeout: COMMAND_TIMEOUT_MS,
    });
    this.logger.debug({ args: [command, ...args], exitCode: result.exitCode, ms: Date.now() - started }, 'ran');
    if (result.exitCode !== 0 || result.timedOut) {
      throw new MountCommandError([command, ...args], result.exitCode, result.stderr, result.timedOut);
    }
  }
}
