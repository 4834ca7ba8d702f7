import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { execa } from 'execa';
import { mkdir } from 'node:fs/promises';
import { AppConfig } from '../config/app-config.js';
import { checkPath, checkQuotaBytes, checkVolume, mountArgs, scriptArgs } from './gluster-argv.js';
import { GLUSTER_COMMAND_RAN, GlusterCommandRan } from './gluster-cli.events.js';
import { GlusterCommandError } from './gluster-command.error.js';
import { GlusterShell } from './gluster-shell.js';
import { LockRetryPolicy } from './lock-retry.policy.js';
import { type CliResult, parseCliResult } from './parsers/cli-output.parser.js';
import { type PoolPeer, parsePoolList } from './parsers/pool-list.parser.js';
import { parseQuotaList, type QuotaLimit } from './parsers/quota-list.parser.js';
import { type GlusterVolumeInfo, parseVolumeInfo } from './parsers/volume-info.parser.js';
import { type BrickDetail, parseVolumeStatusDetail } from './parsers/volume-status.parser.js';

/** A quota change is answered within a second; a gluster shell silent this long waits for a glusterd that is gone. */
const SHELL_PATIENCE_MS = 10_000;

interface GlusterCall {
  /** The subcommand as events name it, e.g. 'volume quota limit-usage'. */
  name: string;
  args: string[];
  /** gluster answers that count as success although opRet is not 0 ('Quota is already enabled'). */
  acceptable?: (result: CliResult) => boolean;
}

/** What a process (or the gluster shell standing in for one) answered. */
interface ProcessResult {
  code?: string;
  exitCode?: number;
  failed?: boolean;
  stderr: string;
  stdout: string;
  timedOut: boolean;
}

/**
 * The gluster CLI and the mount commands: with GlusterShell, the only code in src that runs
 * processes. Every process gets an argv array (no system shell) and a timeout. Commands that change
 * a volume run one at a time per volume, in call order, so piragua never trips over glusterd's
 * lock itself; lock contention from outside (other instances, admins) is retried with backoff.
 * Those commands go to one long-lived gluster shell per volume (GlusterShell; only words it cannot
 * split wrongly), reads run as processes of their own. Each gluster call ends in a GlusterCommandRan event.
 */
@Injectable()
export class GlusterCli implements OnModuleDestroy {
  private readonly logger = new Logger(GlusterCli.name);
  private readonly queues = new Map<string, Promise<void>>();
  private readonly shells = new Map<string, GlusterShell>();

  constructor(
    private readonly config: AppConfig,
    private readonly retryPolicy: LockRetryPolicy,
    private readonly events: EventEmitter2,
    private readonly listeners: EventEmitterReadinessWatcher,
  ) {}

  onModuleDestroy(): void {
    this.shells.forEach((shell) => shell.stop());
  }

  /** Throws GlusterCommandError when the volume does not exist. */
  async volumeInfo(volume: string): Promise<GlusterVolumeInfo> {
    const args = ['volume', 'info', checkVolume(volume)];
    const { stdout } = await this.gluster({ args, name: 'volume info' });
    const found = parseVolumeInfo(stdout).find((info) => info.name === volume);
    if (!found) {
      const detail = `volume ${volume} is not in the answer`;
      throw new GlusterCommandError({ args: scriptArgs(args), detail, exitCode: 0, stderr: '', timedOut: false });
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
    const { stdout } = await this.gluster({
      acceptable: (result) => result.opErrstr.startsWith('No quota configured on volume'),
      args: ['volume', 'quota', checkVolume(volume), 'list', ...only],
      name: 'volume quota list',
    });
    return parseQuotaList(stdout);
  }

  /** Sets the hard limit of a directory (relative to the volume root) to exactly `bytes`. */
  async setQuotaLimit(volume: string, path: string, bytes: number): Promise<void> {
    const limit = checkQuotaBytes(bytes);
    const args = ['volume', 'quota', checkVolume(volume), 'limit-usage', checkPath(path), limit];
    await this.mutate(volume, { args, name: 'volume quota limit-usage' });
  }

  /** Drops the limit of a directory; a directory without a limit is not an error. */
  async removeQuotaLimit(volume: string, path: string): Promise<void> {
    await this.mutate(volume, {
      // gluster 10 words "no limit set" as a failed removexattr of the limit: ENODATA.
      acceptable: (result) => /removexattr failed/.test(result.opErrstr) && /No data available/.test(result.opErrstr),
      args: ['volume', 'quota', checkVolume(volume), 'remove', checkPath(path)],
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
    const args = mountArgs(server, volume, mountPoint);
    await mkdir(mountPoint, { recursive: true });
    const result = await this.exec('mount', 'mount', args);
    if (result.failed) {
      throw this.failure('mount', args, result, { privatePaths: [mountPoint] });
    }
  }

  /** Unmounts, lazily (`umount -l`) if a plain umount fails, e.g. because the mount is busy or stale. */
  async unmount(mountPoint: string): Promise<void> {
    const plain = await this.exec('umount', 'umount', [mountPoint]);
    if (!plain.failed) {
      return;
    }
    this.logger.warn(`umount ${mountPoint} failed (${firstLine(plain.stderr)}); unmounting lazily`);
    const args = ['-l', mountPoint];
    const lazy = await this.exec('umount', 'umount', args);
    if (lazy.failed) {
      throw this.failure('umount', args, lazy, { privatePaths: [mountPoint] });
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
    const started = Date.now();
    let lockRetries = 0;
    const onRetry = (error: GlusterCommandError, pauseMs: number) => {
      lockRetries++;
      this.logger.debug(
        `${call.name} ${call.args[2] ?? ''}: ${error.publicMessage}; retry ${lockRetries} in ${pauseMs} ms`,
      );
    };
    try {
      const output = await this.retryPolicy.run(() => this.glusterOnce(call, shell), onRetry);
      this.ran(new GlusterCommandRan(call.name, 'ok', (Date.now() - started) / 1000, lockRetries));
      return output;
    } catch (error) {
      const outcome = error instanceof GlusterCommandError ? error.outcome : 'failed';
      this.ran(new GlusterCommandRan(call.name, outcome, (Date.now() - started) / 1000, lockRetries));
      throw error;
    }
  }

  /** Emitted once @OnEvent listeners are attached (at application bootstrap), so start-up commands count too. */
  private ran(event: GlusterCommandRan): void {
    void this.listeners.waitUntilReady().then(
      () => this.events.emit(GLUSTER_COMMAND_RAN, event),
      () => undefined,
    );
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
      throw this.failure('gluster', args, result, { detail: 'no XML answer' });
    }
    if (cliResult.opRet !== 0 && !call.acceptable?.(cliResult)) {
      throw this.failure('gluster', args, result, { cliResult });
    }
    return { stdout: result.stdout };
  }

  /** The command's answer from the shell, shaped like a process's result; undefined when the shell could not give one. */
  private async inShell(shell: GlusterShell, call: GlusterCall): Promise<ProcessResult | undefined> {
    const started = performance.now();
    const stdout = await shell.run(call.args);
    const outcome = stdout === undefined ? 'no answer, run on its own' : 'answered';
    this.logger.debug(
      `${call.name}: ${call.args.join(' ')} in the gluster shell → ${outcome} in ${Math.round(performance.now() - started)} ms`,
    );
    return stdout === undefined ? undefined : { exitCode: 0, stderr: '', stdout, timedOut: false };
  }

  private async exec(file: string, name: string, args: string[]): Promise<ProcessResult> {
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
    const argv = [file, ...args].join(' ');
    this.logger.debug(`${name}: ${argv} → ${exit} in ${Math.round(performance.now() - started)} ms`);
    const { code, exitCode, failed, timedOut } = result;
    return {
      code,
      exitCode,
      failed,
      stderr: String(result.stderr ?? ''),
      stdout: String(result.stdout ?? ''),
      timedOut,
    };
  }

  private failure(
    command: string,
    args: string[],
    result: ProcessResult,
    more: { cliResult?: CliResult; detail?: string; privatePaths?: string[] } = {},
  ): GlusterCommandError {
    const unrun = result.exitCode === undefined && !result.timedOut;
    return new GlusterCommandError({
      args,
      cliResult: more.cliResult,
      command,
      detail: unrun ? `could not run ${command} (${result.code ?? 'spawn failed'})` : more.detail,
      exitCode: result.exitCode,
      privatePaths: [...(more.privatePaths ?? []), this.config.gluster.mountDir],
      stderr: result.stderr,
      timedOut: result.timedOut,
    });
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim().length > 0) ?? '';
}
