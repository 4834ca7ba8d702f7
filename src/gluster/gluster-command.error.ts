import type { CliResult } from './parsers/cli-output.parser.js';

/** glusterd's EG_ANOTRANS: another transaction holds the volume's cluster-wide lock. */
const EG_ANOTRANS = 30802;
const LOCK_CONTENTION = /another transaction (is|could be) in progress|locking failed|unable to (acquire|get) lock/i;
/** glusterd's lazily unmounted helper mount of a quota change, caught by the next change on its way out. */
const HELPER_MOUNT_GONE = /Transport endpoint is not connected/;
/** gluster's own helper mounts, which show up in its error texts (e.g. a failed removexattr). */
const GLUSTER_AUX_MOUNT = /(\/var)?\/run\/gluster\/[^/\s]+_quota_(limit|list)(?=\/)/g;

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

  /** How the command ended, as metrics label it. */
  get outcome(): 'failed' | 'lock_contention' | 'timeout' {
    if (this.timedOut) {
      return 'timeout';
    }
    return this.isLockContention ? 'lock_contention' : 'failed';
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
