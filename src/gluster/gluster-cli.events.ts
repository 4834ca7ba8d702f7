/** The event name GlusterCli emits a GlusterCommandRan under. */
export const GLUSTER_COMMAND_RAN = 'gluster.command-ran';

export type GlusterCommandOutcome = 'ok' | 'failed' | 'lock_contention' | 'timeout';

/** One gluster call ended, lock retries included; mount and umount are not gluster calls. */
export class GlusterCommandRan {
  constructor(
    /** The subcommand, e.g. 'volume quota limit-usage'. */
    readonly subcommand: string,
    readonly outcome: GlusterCommandOutcome,
    /** From the first attempt to the end, pauses between retries included. */
    readonly seconds: number,
    /** How many times the call was tried again because glusterd's lock was held (or its helper mount went away). */
    readonly lockRetries: number,
  ) {}
}
