/** What to mount at a target: everything needed to mount it again after the plugin restarts. */
export type MountPlan =
  | {
      /** `<server>:/<gluster volume>/<id>/<name>`: a deep mount of the volume's directory. */
      device: string;
      fstype: 'glusterfs';
      /** The `-o` options, `ro` included when read-only; already checked against the allow-list. */
      options: string[];
    }
  | {
      /** The host directory to bind. */
      device: string;
      fstype: 'bind';
      /** Applied by a bind remount (`ro`, `nosuid`, …); empty for a plain read-write bind. */
      options: string[];
    };

/** One line of /proc/self/mountinfo, unescaped. */
export interface MountEntry {
  fstype: string;
  mountPoint: string;
  /** The directory of the source file system that is mounted (a bind mount's source). */
  root: string;
  source: string;
}

/** A file system's figures as statfs(2) reports them, in bytes and inodes. */
export interface FsStats {
  availableBytes: number;
  /** statfs f_type, e.g. 0x65735546 for FUSE. */
  fsType: number;
  freeInodes: number;
  totalBytes: number;
  totalInodes: number;
  usedBytes: number;
}

/** statfs of a mount point, from a child process that is killed when it takes too long. */
export type StatfsResult =
  | { state: 'ok'; stats: FsStats }
  /** The file system answered with an error that means the mount is gone (ENOTCONN, ESTALE, EIO). */
  | { errno: string; message: string; state: 'dead' }
  | { message: string; state: 'failed' }
  | { state: 'timeout'; timeoutMs: number };

/**
 * The one way the node plugin touches mounts (DI token; SystemMounter runs mount/umount/stat).
 * Every method that may touch a FUSE file system runs in a child process: a dead or hung FUSE
 * mount then blocks a child we can kill, never this process's libuv pool.
 */
export abstract class Mounter {
  /** Mounts `plan` at `target` (an existing directory) and checks that the mount stayed up. */
  abstract mount(plan: MountPlan, target: string): Promise<void>;

  /** The topmost mount at `target`, read from /proc/self/mountinfo (no file system access). */
  abstract mountAt(target: string): Promise<MountEntry | undefined>;

  abstract statfs(target: string, timeoutMs: number): Promise<StatfsResult>;

  /** `umount`, or `umount -l` when `lazy` (a dead mount, or one still busy). */
  abstract unmount(target: string, options?: { lazy?: boolean }): Promise<void>;
}
