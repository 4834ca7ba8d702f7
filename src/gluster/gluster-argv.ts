const VOLUME_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;

/** Every gluster call runs non-interactively and answers in XML. */
export function scriptArgs(args: string[]): string[] {
  return ['--mode=script', ...args, '--xml'];
}

export function checkVolume(volume: string): string {
  if (!VOLUME_NAME.test(volume)) {
    throw new TypeError(`not a Gluster volume name: ${JSON.stringify(volume)}`);
  }
  return volume;
}

/** Quota paths are relative to the volume root and start with '/', so they can never read as an option. */
export function checkPath(path: string): string {
  if (!path.startsWith('/') || path.includes('\n') || path.split('/').includes('..')) {
    throw new TypeError(`quota path must start with '/' and stay inside the volume: ${JSON.stringify(path)}`);
  }
  return path;
}

/** A plain decimal is a byte count to gluster and reads back unchanged as hard_limit. */
export function checkQuotaBytes(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new RangeError(`quota limit must be a whole number of bytes >= 1, got ${bytes}`);
  }
  return String(bytes);
}

/** `mount -t glusterfs` without caching of names and attributes, in the kernel or in gluster's md-cache. */
export function mountArgs(server: string, volume: string, mountPoint: string): string[] {
  // Other instances replace piragua's records through their own mounts; a cached entry would show the old file.
  const options = `entry-timeout=0,attribute-timeout=0,xlator-option=${checkVolume(volume)}-md-cache.md-cache-timeout=0`;
  return ['-t', 'glusterfs', '-o', options, `${server}:/${volume}`, mountPoint];
}
