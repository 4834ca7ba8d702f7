import { isAbsolute, normalize } from 'node:path';
import { ACCESS_MODES } from '../csi.types.js';
import type { MountPlan } from '../mounter/mounter.js';
import { invalidArgument, notFound } from './csi-node.errors.js';
import { checkMountFlags } from './mount-options.rules.js';

const VOLUME_ID = /^[0-9a-f]{32}$/;
/** `<volume id>/<Heketi volume name>`, as the controller puts it in volume_context.path. */
const VOLUME_PATH = /^([0-9a-f]{32})\/[A-Za-z0-9_-]{1,255}$/;
/** A host name or IPv4 address: no `:`, which separates mount.glusterfs's backup servers. */
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const GLUSTER_VOLUME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,127}$/;
const MAX_PATH = 4096;
/** Access modes in which no one writes: the mount is read-only. */
const READER_ONLY_MODES = new Set([2, 3]);

/** NodePublishVolume's fields, transport-free (CsiNodeController maps the gRPC message to this). */
export interface PublishRequest {
  capability?: {
    accessMode?: { mode?: number | string };
    block?: object | null;
    mount?: { fsType?: string; mountFlags?: string[] } | null;
  } | null;
  readonly: boolean;
  targetPath: string;
  volumeContext: Record<string, string>;
  volumeId: string;
}

/** A checked NodePublishVolume: what to mount where. */
export interface PublishPlan {
  plan: MountPlan;
  target: string;
  volumeId: string;
}

/** An empty id is INVALID_ARGUMENT; one that cannot be a piragua volume is NOT_FOUND. */
export function checkVolumeId(volumeId: string): string {
  if (volumeId === '') {
    throw invalidArgument('volume_id is required');
  }
  if (!VOLUME_ID.test(volumeId)) {
    throw notFound(
      `volume ${JSON.stringify(volumeId.slice(0, 128))} does not exist: a piragua volume id is 32 hex digits`,
    );
  }
  return volumeId;
}

/** An absolute, normalized path (no `..`, `.`, `//` or trailing `/`), not `/`, no control characters. */
export function checkPath(path: string, field: string): string {
  if (path === '') {
    throw invalidArgument(`${field} is required`);
  }
  if (
    path.length > MAX_PATH ||
    // eslint-disable-next-line no-control-regex -- a path with control characters is refused
    /[\0-\x1f\x7f]/.test(path) ||
    !isAbsolute(path) ||
    normalize(path) !== path ||
    path.endsWith('/') ||
    path === '/'
  ) {
    throw invalidArgument(
      `${field} must be an absolute, normalized path other than / (got ${JSON.stringify(path.slice(0, 256))})`,
    );
  }
  return path;
}

function accessMode(capability: NonNullable<PublishRequest['capability']>): number {
  const mode = capability.accessMode?.mode;
  const number = typeof mode === 'string' ? (ACCESS_MODES as readonly string[]).indexOf(mode) : (mode ?? 0);
  if (!Number.isInteger(number) || number < 1 || number >= ACCESS_MODES.length) {
    throw invalidArgument('volume_capability.access_mode.mode is required (UNKNOWN or missing)');
  }
  return number;
}

function contextValue(context: Record<string, string>, key: string, pattern?: RegExp): string {
  const value = context[key] ?? '';
  if (value === '') {
    throw invalidArgument(`volume_context.${key} is required (the controller's CreateVolume sets it)`);
  }
  if (pattern !== undefined && !pattern.test(value)) {
    throw invalidArgument(`volume_context.${key} is not valid: ${JSON.stringify(value.slice(0, 256))}`);
  }
  return value;
}

/** Checks NodePublishVolume and turns it into a mount plan; everything comes from the request. */
export function planPublish(request: PublishRequest): PublishPlan {
  const volumeId = checkVolumeId(request.volumeId);
  const target = checkPath(request.targetPath, 'target_path');
  const capability = request.capability;
  if (!capability) {
    throw invalidArgument('volume_capability is required');
  }
  if (capability.block) {
    throw invalidArgument('block access is not supported: a piragua volume is a directory (use mount access)');
  }
  if (!capability.mount) {
    throw invalidArgument('volume_capability.mount is required');
  }
  const mode = accessMode(capability);
  const context = request.volumeContext;
  const backend = contextValue(context, 'backend');
  if (backend !== 'gluster' && backend !== 'local') {
    throw invalidArgument(
      `volume_context.backend must be gluster or local, not ${JSON.stringify(backend.slice(0, 64))}`,
    );
  }
  const path = contextValue(context, 'path', VOLUME_PATH);
  if (VOLUME_PATH.exec(path)?.[1] !== volumeId) {
    throw invalidArgument(`volume_context.path ${JSON.stringify(path)} is not a directory of volume ${volumeId}`);
  }
  if ((context.gid ?? '') !== '' && !(/^\d{1,10}$/.test(context.gid) && Number(context.gid) < 2 ** 32 - 1)) {
    throw invalidArgument(
      `volume_context.gid must be a decimal group id, not ${JSON.stringify(context.gid.slice(0, 64))}`,
    );
  }
  const fsType = capability.mount.fsType ?? '';
  const fstype = backend === 'gluster' ? 'glusterfs' : 'bind';
  if (fsType !== '' && !(backend === 'gluster' && fsType === 'glusterfs')) {
    throw invalidArgument(
      `volume_capability.mount.fs_type ${JSON.stringify(fsType.slice(0, 64))} is not offered: leave it empty`,
    );
  }
  const flags = checkMountFlags(capability.mount.mountFlags ?? [], fstype);
  const readonly = request.readonly || READER_ONLY_MODES.has(mode) || flags.readonly;
  const options = [...flags.options, ...(readonly ? ['ro'] : [])];
  if (backend === 'local') {
    const localPath = contextValue(context, 'localPath');
    if (checkPath(localPath, 'volume_context.localPath') && !localPath.endsWith(`/${path}`)) {
      throw invalidArgument(`volume_context.localPath must end with /${path}`);
    }
    return { plan: { device: localPath, fstype: 'bind', options }, target, volumeId };
  }
  const servers = contextValue(context, 'glusterServers')
    .split(',')
    .map((server) => server.trim());
  if (servers.length > 16 || !servers.every((server) => HOST.test(server))) {
    throw invalidArgument(`volume_context.glusterServers must be 1-16 comma-separated host names or IPv4 addresses`);
  }
  const volume = contextValue(context, 'glusterVolume', GLUSTER_VOLUME);
  const backups = servers
    .slice(1)
    .filter((server, index, rest) => server !== servers[0] && rest.indexOf(server) === index);
  return {
    plan: {
      device: `${servers[0]}:/${volume}/${path}`,
      fstype: 'glusterfs',
      options: [...(backups.length > 0 ? [`backup-volfile-servers=${backups.join(':')}`] : []), ...options],
    },
    target,
    volumeId,
  };
}
