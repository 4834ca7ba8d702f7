import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatfsResult } from './mounter.js';
import { parseStatfs, STATFS_FORMAT, statfsFailure } from './statfs.parser.js';

/** How long past its kill a stat child may take to be reaped before we stop waiting for it. */
const REAP_GRACE_MS = 500;

/**
 * statfs(2) of `target` in a `stat` child process, SIGKILLed after `timeoutMs`. The answer never
 * waits longer than that: a child stuck in the kernel on a hung FUSE mount is left to die alone,
 * and no thread of this process is ever blocked on the mount.
 */
export async function statfsWithin(target: string, timeoutMs: number, command = 'stat'): Promise<StatfsResult> {
  const child = execa(command, ['--file-system', `--format=${STATFS_FORMAT}`, '--', target], {
    forceKillAfterDelay: false,
    killSignal: 'SIGKILL',
    reject: false,
    stdin: 'ignore',
    timeout: timeoutMs,
  });
  const giveUp = new AbortController();
  const result = await Promise.race([
    child,
    sleep(timeoutMs + REAP_GRACE_MS, undefined, { signal: giveUp.signal }).then(() => undefined),
  ]).finally(() => giveUp.abort());
  if (result === undefined || result.timedOut) {
    child.kill('SIGKILL');
    return { state: 'timeout', timeoutMs };
  }
  if (result.exitCode === 0) {
    const stats = parseStatfs(result.stdout);
    return stats === undefined
      ? { message: `unreadable stat output: ${result.stdout}`, state: 'failed' }
      : { state: 'ok', stats };
  }
  return statfsFailure(result.stderr);
}
