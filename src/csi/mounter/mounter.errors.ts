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
 * The server refused the subdirectory (missing directory, or auth.allow): mount.glusterfs then
 * exits 0 with nothing mounted, or (when its own check catches the client quitting) fails.
 */
export class MountVanishedError extends Error {
  constructor(
    readonly device: string,
    readonly target: string,
    /** What the glusterfs client logged about it, when it said (e.g. the subdirectory is not found). */
    readonly reason?: string,
  ) {
    super(`${device} could not be mounted at ${target}: ${reason ?? 'missing directory, or access refused'}`);
    this.name = 'MountVanishedError';
  }
}
