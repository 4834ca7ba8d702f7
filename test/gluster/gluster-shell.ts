import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseQuotaList, QuotaLimit } from '../../src/gluster/parsers/quota-list.parser.js';

const run = promisify(execFile);

/** Runs a command; resolves with its output and exit code instead of throwing. */
export async function sh(command: string, args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const { stderr, stdout } = await run(command, args, { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stderr, stdout };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string; stdout?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : 1,
      stderr: failure.stderr ?? '',
      stdout: failure.stdout ?? '',
    };
  }
}

/** The quota limits gluster itself reports, read the way an operator would. */
export async function quotaLimits(volume: string): Promise<Map<string, QuotaLimit>> {
  const { stdout } = await sh('gluster', ['--mode=script', 'volume', 'quota', volume, 'list', '--xml']);
  return new Map(parseQuotaList(stdout).map((limit) => [limit.path, limit]));
}

/** Mounts like kubelet does for a glusterfs PV: `<ip>:<path>` with backup volfile servers. */
export async function kubeletMount(device: string, backupServers: string, target: string): Promise<void> {
  const { code, stderr } = await sh('mount', [
    '-t',
    'glusterfs',
    '-o',
    `backup-volfile-servers=${backupServers},log-level=ERROR`,
    device,
    target,
  ]);
  if (code !== 0) {
    throw new Error(`mount ${device} failed: ${stderr}`);
  }
}

export async function unmount(target: string): Promise<void> {
  if ((await sh('umount', [target])).code !== 0) {
    await sh('umount', ['-l', target]);
  }
}

/** Polls `check` every 250 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The hard limit `quota list` shows for `path`, once it shows `expected` or after 15 s. glusterd
 * can list a limit it just accepted (or that just moved with its directory) a moment late, while
 * the limit is already in force; piragua confirms limits through statfs, not through this list.
 */
export async function listedLimit(volume: string, path: string, expected: number): Promise<number | undefined> {
  let limit: number | undefined;
  for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 250))) {
    limit = (await quotaLimits(volume)).get(path)?.hardLimitBytes;
    if (limit === expected || Date.now() > deadline) {
      return limit;
    }
  }
}
