import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { execa } from 'execa';
import { Subject } from 'rxjs';
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';
import { GlusterShell } from './gluster-shell.js';
import { type CliResult, parseCliResult } from './parsers/cli-output.parser.js';
import { type PoolPeer, parsePoolList } from './parsers/pool-list.parser.js';
import { parseQuotaList, type QuotaLimit } from './parsers/quota-list.parser.js';
import { type GlusterVolumeInfo, parseVolumeInfo } from './parsers/volume-info.parser.js';
import { type BrickDetail, parseVolumeStatusDetail } from './parsers/volume-status.parser.js';

/** glusterd's EG_ANOTRANS: another transaction holds the volume's cluster-wide lock. */
const EG_ANOTRANS = 30802;
const LOCK_CONTENTION = /another transaction (is|could be) in progress|locking failed|unable to (acquire|get) lock/i;
/**
 * glusterd mounts the volume for each quota change and lazily unmounts it after; a change that
 * follows closely can find that helper mount on its way out (seen once in about 400 changes).
 */
const HELPER_MOUNT_GONE = /Transport endpoint is not connected/;
/** gluster's own helper mounts, which show up in its error texts (e.g. a failed removexattr). */
const GLUSTER_AUX_MOUNT = /(\/var)?\/run\/gluster\/[^/\s]+_quota_(limit|list)(?=\/)/g;
const VOLUME_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
/**
 * A quota change is answered within a second, even with thousands of limits on the volume; a
 * gluster shell still silent after this long is waiting for a glusterd that is gone.
 */
const SHELL_PATIENCE_MS = 10_000;

export interface GlusterCommandEvent {
  /** The subcommand, e.g. 'volume quota limit-usage'. */
  command: string;
  outcome: 'ok' | 'failed' | 'lock_contention' | 'timeout';
  /** Including lock retries. */
  seconds: number;
}

export interface GlusterCommandFailure {
  /** The argv after the program name; for gluster it starts with `--mode=script`. */
  args: string[];
  cliResult?: CliResult;
  /** The program: 'gluster' (whatever binary is configured), 'mount' or 'umount'. */
  command?: string;
  /** Why it failed when neither gluster's opErrstr nor stderr says (spawn error, unparsable output). */
  detail?: string;
  exitCode: number | undefined;
  /** Local paths that must not reach API clients (mount points); replaced in publicMessage. */
  privatePaths?: string[];
  stderr: string;
  timedOut: boolean;
}

/** A gluster (or mount) command that failed; `message` is for logs, `publicMessage` for API clients. */
export class GlusterCommandError extends Error {
  readonly args: string[];
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly opErrno?: number;
  readonly opErrstr?: string;
  readonly opRet?: number;
  readonly stderr: string;
  readonly timedOut: boolean;
  private readonly detail?: string;
  private readonly privatePaths: string[];

  constructor(failure: GlusterCommandFailure) {
    super('');
    this.name = 'GlusterCommandError';
    this.args = failure.args;
    this.command = failure.command ?? 'gluster';
    this.detail = failure.detail;
    this.exitCode = failure.exitCode;
    this.opErrno = failure.cliResult?.opErrno;
    this.opErrstr = failure.cliResult?.opErrstr || undefined;
    this.opRet = failure.cliResult?.opRet;
    this.privatePaths = (failure.privatePaths ?? []).filter((path) => path.length > 1);
    this.stderr = failure.stderr;
    this.timedOut = failure.timedOut;
    const exit = this.exitCode === undefined ? 'no exit code' : `exit code ${this.exitCode}`;
    const opRet = this.opRet === undefined || this.opRet === 0 ? '' : `, opRet ${this.opRet}, opErrno ${this.opErrno}`;
    this.message = `${this.command} ${this.args.join(' ')} failed (${exit}${opRet}): ${this.reason()}`;
  }

  /** One line safe to show API clients: gluster's own error text, without local paths of piragua. */
  get publicMessage(): string {
    let text = this.reason().replace(GLUSTER_AUX_MOUNT, '');
    for (const path of this.privatePaths) {
      text = text.split(path).join('<mount point>');
    }
    return text;
  }

  /** glusterd's cluster lock was held by someone else: worth retrying after a pause. */
  get isLockContention(): boolean {
    return this.opErrno === EG_ANOTRANS || LOCK_CONTENTION.test(`${this.opErrstr ?? ''}\n${this.stderr}`);
  }

  /** Fails now and likely not in a moment: glusterd's lock, or its helper mount caught while it went away. */
  get isTransient(): boolean {
    return this.isLockContention || HELPER_MOUNT_GONE.test(this.opErrstr ?? '');
  }

  private reason(): string {
    if (this.timedOut) {
      return `${this.command} did not answer in time`;
    }
    const stderrLine = this.stderr
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.length > 0);
    return this.opErrstr ?? stderrLine ?? this.detail ?? `${this.command} failed with exit code ${this.exitCode}`;
  }
}

/** How long a command that hits glusterd's lock is retried: exponential backoff with jitter. */
export interface LockRetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** No retry starts once waiting for it would pass this much time since the first attempt. */
  totalBudgetMs: number;
}

interface GlusterCall {
  /** The subcommand as `stats` counts it, e.g. 'volume quota limit-usage'. */
  name: string;
  args: string[];
  /** gluster answers that count as success although opRet is not 0 ('Quota is already enabled'). */
  acceptable?: (result: CliResult) => boolean;
}

/**
 * The gluster CLI and the mount commands: with GlusterShell, the only code in src that runs
 * processes. Every process gets an argv array (no system shell) and a timeout. Commands that change
 * a volume run one at a time per volume, in call order, so piragua never trips over glusterd's
 * lock itself; lock contention from outside (other instances, admins) is retried with backoff.
 * Those commands go to one long-lived gluster shell per volume (GlusterShell; only words it cannot
 * split wrongly), reads run as processes of their own.
 */
@Injectable()
export class GlusterCli implements OnModuleDestroy {
  readonly stats = { calls: new Map<string, number>(), failures: new Map<string, number>(), lockRetries: 0 };
  /** One event per gluster call (retries included), for metrics. */
  readonly commands = new Subject<GlusterCommandEvent>();
  /** Tests shorten it; production keeps the defaults. */
  retryPolicy: LockRetryPolicy = { initialDelayMs: 200, maxDelayMs: 3000, totalBudgetMs: 60_000 };
  private readonly logger = new Logger(GlusterCli.name);
  private readonly queues = new Map<string, Promise<void>>();
  private readonly shells = new Map<string, GlusterShell>();

  constructor(private readonly config: AppConfig) {}

  onModuleDestroy(): void {
    this.shells.forEach((shell) => shell.stop());
  }

  /** Throws GlusterCommandError when the volume does not exist. */
  async volumeInfo(volume: string): Promise<GlusterVolumeInfo> {
    const args = ['volume', 'info', checkVolume(volume)];
    const { stdout } = await this.gluster({ args, name: 'volume info' });
    const found = parseVolumeInfo(stdout).find((info) => info.name === volume);
    if (!found) {
      throw new GlusterCommandError({
        args: scriptArgs(args),
        detail: `volume ${volume} is not in the answer`,
        exitCode: 0,
        stderr: '',
        timedOut: false,
      });
    }
    return found;
  }

  async volumeStatusDetail(volume: string): Promise<BrickDetail[]> {
    const { stdout } = await this.gluster({
      args: ['volume', 'status', checkVolume(volume), 'detail'],
      name: 'volume status detail',
    });
    return parseVolumeStatusDetail(stdout);
  }

  async poolList(): Promise<PoolPeer[]> {
    const { stdout } = await this.gluster({ args: ['pool', 'list'], name: 'pool list' });
    return parsePoolList(stdout);
  }

  /** Limits of the whole volume, or of the given paths only (one call for many, as gluster allows). */
  async quotaList(volume: string, paths?: string | string[]): Promise<QuotaLimit[]> {
    const only = paths === undefined ? [] : (Array.isArray(paths) ? paths : [paths]).map(checkPath);
    const args = ['volume', 'quota', checkVolume(volume), 'list', ...only];
    const { stdout } = await this.gluster({
      acceptable: (result) => result.opErrstr.startsWith('No quota configured on volume'),
      args,
      name: 'volume quota list',
    });
    return parseQuotaList(stdout);
  }

  /** Sets the hard limit of a directory (relative to the volume root) to exactly `bytes`. */
  async setQuotaLimit(volume: string, path: string, bytes: number): Promise<void> {
    if (!Number.isSafeInteger(bytes) || bytes < 1) {
      throw new RangeError(`quota limit must be a whole number of bytes >= 1, got ${bytes}`);
    }
    // A plain decimal is a byte count to gluster and reads back unchanged as hard_limit.
    const args = ['volume', 'quota', checkVolume(volume), 'limit-usage', checkPath(path), String(bytes)];
    await this.mutate(volume, { args, name: 'volume quota limit-usage' });
  }

  /** Drops the limit of a directory; a directory without a limit is not an error. */
  async removeQuotaLimit(volume: string, path: string): Promise<void> {
    const args = ['volume', 'quota', checkVolume(volume), 'remove', checkPath(path)];
    await this.mutate(volume, {
      // gluster 10 words "no limit set" as a failed removexattr of the limit: ENODATA.
      acceptable: (result) => /removexattr failed/.test(result.opErrstr) && /No data available/.test(result.opErrstr),
      args,
      name: 'volume quota remove',
    });
  }

  /** `quota enable` only (timeouts are the operator's choice); enabling it twice is fine. */
  async enableQuota(volume: string): Promise<void> {
    await this.mutate(volume, {
      acceptable: (result) => result.opErrstr === 'Quota is already enabled',
      args: ['volume', 'quota', checkVolume(volume), 'enable'],
      name: 'volume quota enable',
    });
  }

  async mount(server: string, volume: string, mountPoint: string): Promise<void> {
    await mkdir(mountPoint, { recursive: true });
    // No caching of names and attributes, in the kernel or in gluster's md-cache: other instances
    // replace piragua's records through their own mounts, and a cached entry would keep showing the
    // old file (measured: 39 of 40 reads right after such a replace were stale without these).
    const options = `entry-timeout=0,attribute-timeout=0,xlator-option=${checkVolume(volume)}-md-cache.md-cache-timeout=0`;
    const args = ['-t', 'glusterfs', '-o', options, `${server}:/${checkVolume(volume)}`, mountPoint];
    this.count(this.stats.calls, 'mount');
    const result = await this.exec('mount', 'mount', args);
    if (result.failed) {
      this.count(this.stats.failures, 'mount');
      throw this.failure('mount', args, result, undefined, [mountPoint]);
    }
  }

  /** Unmounts, lazily (`umount -l`) if a plain umount fails, e.g. because the mount is busy or stale. */
  async unmount(mountPoint: string): Promise<void> {
    this.count(this.stats.calls, 'umount');
    const plain = await this.exec('umount', 'umount', [mountPoint]);
    if (!plain.failed) {
      return;
    }
    this.logger.warn(`umount ${mountPoint} failed (${firstLine(plain.stderr)}); unmounting lazily`);
    const args = ['-l', mountPoint];
    const lazy = await this.exec('umount', 'umount', args);
    if (lazy.failed) {
      this.count(this.stats.failures, 'umount');
      throw this.failure('umount', args, lazy, undefined, [mountPoint]);
    }
  }

  /** Runs a command that changes `volume` after every earlier one for that volume has finished. */
  private mutate(volume: string, call: GlusterCall): Promise<{ stdout: string }> {
    const previous = this.queues.get(volume) ?? Promise.resolve();
    const result = previous.then(() => this.gluster(call, this.shellFor(volume)));
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(volume, tail);
    void tail.then(() => {
      if (this.queues.get(volume) === tail) {
        this.queues.delete(volume);
      }
    });
    return result;
  }

  private shellFor(volume: string): GlusterShell {
    let shell = this.shells.get(volume);
    if (shell === undefined) {
      shell = new GlusterShell(this.config.gluster.cli, Math.min(SHELL_PATIENCE_MS, this.config.gluster.timeoutMs));
      this.shells.set(volume, shell);
    }
    return shell;
  }

  /** One gluster operation: `--mode=script … --xml`, retried while it fails transiently (see isTransient). */
  private async gluster(call: GlusterCall, shell?: GlusterShell): Promise<{ stdout: string }> {
    this.count(this.stats.calls, call.name);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const output = await this.glusterOnce(call, shell);
        this.commands.next({ command: call.name, outcome: 'ok', seconds: (Date.now() - started) / 1000 });
        return output;
      } catch (error) {
        const delay = error instanceof GlusterCommandError && error.isTransient ? this.backoff(attempt) : undefined;
        if (delay === undefined || Date.now() - started + delay > this.retryPolicy.totalBudgetMs) {
          this.count(this.stats.failures, call.name);
          const outcome = !(error instanceof GlusterCommandError)
            ? 'failed'
            : error.timedOut
              ? 'timeout'
              : error.isLockContention
                ? 'lock_contention'
                : 'failed';
          this.commands.next({ command: call.name, outcome, seconds: (Date.now() - started) / 1000 });
          throw error;
        }
        this.stats.lockRetries++;
        this.logger.debug(
          `${call.name} ${call.args[2] ?? ''}: ${(error as GlusterCommandError).publicMessage}; retry ${attempt + 1} in ${delay} ms`,
        );
        await sleep(delay);
      }
    }
  }

  private async glusterOnce(call: GlusterCall, shell?: GlusterShell): Promise<{ stdout: string }> {
    const args = scriptArgs(call.args);
    const result =
      (shell && (await this.inShell(shell, call))) ?? (await this.exec(this.config.gluster.cli, call.name, args));
    if (result.timedOut || result.exitCode === undefined) {
      throw this.failure('gluster', args, result);
    }
    let cliResult: CliResult;
    try {
      cliResult = parseCliResult(result.stdout);
    } catch {
      // Usage errors (e.g. a size gluster does not take) print text on stderr and no XML.
      throw this.failure('gluster', args, result, undefined, [], 'no XML answer');
    }
    if (cliResult.opRet !== 0 && !call.acceptable?.(cliResult)) {
      throw this.failure('gluster', args, result, cliResult);
    }
    return { stdout: result.stdout };
  }

  /** The command's answer from the shell, shaped like a process's result; undefined when the shell could not give one. */
  private async inShell(shell: GlusterShell, call: GlusterCall) {
    const started = performance.now();
    const stdout = await shell.run(call.args);
    const outcome = stdout === undefined ? 'no answer, run on its own' : 'answered';
    this.logger.debug(
      `${call.name}: ${call.args.join(' ')} in the gluster shell → ${outcome} in ${Math.round(performance.now() - started)} ms`,
    );
    return stdout === undefined ? undefined : { exitCode: 0, stderr: '', stdout, timedOut: false };
  }

  private async exec(file: string, name: string, args: string[]) {
    const started = performance.now();
    const result = await execa(file, args, {
      env: { LC_ALL: 'C' },
      reject: false,
      stdin: 'ignore',
      stripFinalNewline: true,
      timeout: this.config.gluster.timeoutMs,
    });
    const exit = result.timedOut
      ? 'timed out'
      : result.exitCode === undefined
        ? `not run (${result.code ?? 'no exit code'})`
        : `exit ${result.exitCode}`;
    this.logger.debug(
      `${name}: ${[file, ...args].join(' ')} → ${exit} in ${Math.round(performance.now() - started)} ms`,
    );
    return {
      code: result.code,
      exitCode: result.exitCode,
      failed: result.failed,
      stderr: String(result.stderr ?? ''),
      stdout: String(result.stdout ?? ''),
      timedOut: result.timedOut,
    };
  }

  private failure(
    command: string,
    args: string[],
    result: { code?: string; exitCode?: number; stderr: string; timedOut: boolean },
    cliResult?: CliResult,
    privatePaths: string[] = [],
    detail?: string,
  ): GlusterCommandError {
    return new GlusterCommandError({
      args,
      cliResult,
      command,
      detail:
        result.exitCode === undefined && !result.timedOut
          ? `could not run ${command} (${result.code ?? 'spawn failed'})`
          : detail,
      exitCode: result.exitCode,
      privatePaths: [...privatePaths, this.config.gluster.mountDir],
      stderr: result.stderr,
      timedOut: result.timedOut,
    });
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.retryPolicy.maxDelayMs, this.retryPolicy.initialDelayMs * 2 ** attempt);
    // Half fixed, half random: spreads instances that collided at the same moment.
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private count(counter: Map<string, number>, name: string): void {
    counter.set(name, (counter.get(name) ?? 0) + 1);
  }
}

function scriptArgs(args: string[]): string[] {
  return ['--mode=script', ...args, '--xml'];
}

function checkVolume(volume: string): string {
  if (!VOLUME_NAME.test(volume)) {
    throw new TypeError(`not a Gluster volume name: ${JSON.stringify(volume)}`);
  }
  return volume;
}

/** Quota paths are relative to the volume root and start with '/', so they can never read as an option. */
function checkPath(path: string): string {
  if (!path.startsWith('/') || path.includes('\n') || path.split('/').includes('..')) {
    throw new TypeError(`quota path must start with '/' and stay inside the volume: ${JSON.stringify(path)}`);
  }
  return path;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim().length > 0) ?? '';
}
