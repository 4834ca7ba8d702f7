/** A mount or umount that failed; `message` names the command and carries its stderr. */
export class MountCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    const outcome = timedOut ? 'timed out' : `failed (exit code ${exitCode ?? 'none'})`;
    super(`${args.join(' ')} ${outcome}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    this.name = 'MountCommandError';
  }
}

/**
 * mount exited 0 but nothing is mounted at the target: mount.glusterfs does that when the server
 * refuses the subdirectory (missing directory, or auth.allow), its client quitting right after.
 */
export class MountVanishedError extends Error {
  constructor(
    readonly device: string,
    readonly target: string,
  ) {
    super(`${device} was mounted at ${target} but did not stay mounted (missing directory, or access refused)`);
    this.name = 'MountVanishedError';
  }
}
