import { invalidArgument } from './csi-node.errors.js';

const BOOLEAN = /^(yes|no|on|off|true|false|enable|disable)$/i;
const DECIMAL = /^\d{1,9}(\.\d{1,6})?$/;
const INTEGER = /^\d{1,9}$/;

/** Kernel mount flags: mount.glusterfs hands them to FUSE, and a bind remount takes them too. */
const KERNEL_FLAGS = new Set([
  'atime',
  'dev',
  'diratime',
  'exec',
  'lazyatime',
  'noatime',
  'nodev',
  'nodiratime',
  'noexec',
  'nolazyatime',
  'norelatime',
  'nostrictatime',
  'nosuid',
  'relatime',
  'strictatime',
  'suid',
]);

/** glusterfs client flags without a value that change nothing outside the mount. */
const GLUSTER_FLAGS = new Set([
  '_netdev',
  'acl',
  'enable-ino32',
  'fopen-keep-cache',
  'resolve-gids',
  'selinux',
  'worm',
]);

/** glusterfs client options with a value, and the values allowed (mount.glusterfs puts them on a command line). */
const GLUSTER_VALUES = new Map<string, RegExp>([
  ['attr-times-granularity', INTEGER],
  ['attribute-timeout', DECIMAL],
  ['auto-invalidation', BOOLEAN],
  ['background-qlen', INTEGER],
  ['congestion-threshold', INTEGER],
  ['direct-io-mode', /^(enable|disable|auto)$/i],
  ['entry-timeout', DECIMAL],
  ['fetch-attempts', INTEGER],
  ['fopen-keep-cache', BOOLEAN],
  ['fuse-flush-handle-interrupt', BOOLEAN],
  ['gid-timeout', DECIMAL],
  ['invalidate-limit', INTEGER],
  ['kernel-writeback-cache', BOOLEAN],
  ['log-level', /^(critical|error|warning|info|debug|trace|none)$/i],
  ['lru-limit', INTEGER],
  ['negative-timeout', DECIMAL],
  ['reader-thread-count', INTEGER],
  ['transport', /^(tcp|rdma)$/i],
  ['use-readdirp', BOOLEAN],
]);

/** Options a StorageClass must not set, each with the reason the error gives. */
const REFUSED: Record<string, string> = {
  auto_unmount: 'it would leave an empty directory where a dead mount was, and pods would write into the node',
  'backup-volfile-servers': 'the servers come from the volume (volume_context.glusterServers)',
  'backupvolfile-server': 'the servers come from the volume (volume_context.glusterServers)',
  'dump-fuse': 'it writes a file on the node',
  'fuse-mountopts': 'it passes unchecked options to FUSE',
  'log-file': 'it writes a file on the node',
  'subdir-mount': 'the directory comes from the volume (volume_context.path)',
  'volume-id': 'the Gluster volume comes from the volume (volume_context.glusterVolume)',
  'volume-name': 'the Gluster volume comes from the volume (volume_context.glusterVolume)',
  'xlator-option': 'it changes the client graph without a check',
};

export interface CheckedMountFlags {
  /** Allowed options, without `ro`/`rw`, deduplicated, in the order given. */
  options: string[];
  /** True when the flags ask for `ro`. */
  readonly: boolean;
}

/**
 * Checks `volume_capability.mount.mount_flags` (a StorageClass's `mountOptions`) against what a
 * glusterfs mount (or, for the local backend, a bind mount) knows; anything else is INVALID_ARGUMENT.
 */
export function checkMountFlags(flags: readonly string[], fstype: 'glusterfs' | 'bind'): CheckedMountFlags {
  const options: string[] = [];
  let readonly = false;
  for (const flag of flags.flatMap((entry) => entry.split(','))) {
    const option = flag.trim();
    const [key = '', value] = option.split(/=(.*)/s, 2);
    if (option === 'ro' || option === 'rw') {
      readonly ||= option === 'ro';
      continue;
    }
    const refusal = REFUSED[key];
    if (refusal !== undefined) {
      throw invalidArgument(`mount option ${JSON.stringify(option)} is not allowed: ${refusal}`);
    }
    const known =
      value === undefined
        ? KERNEL_FLAGS.has(key) || (fstype === 'glusterfs' && GLUSTER_FLAGS.has(key))
        : fstype === 'glusterfs' && (GLUSTER_VALUES.get(key)?.test(value) ?? false);
    if (!known) {
      throw invalidArgument(
        `mount option ${JSON.stringify(option.slice(0, 64))} is not a known ${fstype === 'bind' ? 'bind' : 'glusterfs'} mount option` +
          (GLUSTER_VALUES.has(key) && fstype === 'glusterfs' ? ' value' : ''),
      );
    }
    if (!options.includes(option)) {
      options.push(option);
    }
  }
  return { options, readonly };
}
