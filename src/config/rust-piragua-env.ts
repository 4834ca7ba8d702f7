/**
 * The Rust piragua read `/etc/piragua/environment` with its own names; an operator upgrading keeps
 * that file unchanged. Each old name maps to piragua's, and a new name set as well wins.
 */
const RENAMED: Record<string, string> = {
  GLUSTER_VOL: 'PIRAGUA_GLUSTER_VOLUMES',
  ROCKET_ADDRESS: 'PIRAGUA_LISTEN_ADDRESS',
  ROCKET_PORT: 'HEKETI_HTTP_PORT',
};

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function withRustPiraguaNames(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...source };
  for (const [old, current] of Object.entries(RENAMED)) {
    if (source[old] !== undefined && source[current] === undefined) {
      merged[current] = source[old];
    }
  }
  if (source.GLUSTER_VOL !== undefined && source.PIRAGUA_BACKEND === undefined) {
    merged.PIRAGUA_BACKEND = 'gluster';
  }
  // JWT_SECRET held the key base64-encoded.
  const secret = source.JWT_SECRET?.trim();
  if (secret && source.HEKETI_ADMIN_KEY === undefined && isBase64(secret)) {
    merged.HEKETI_ADMIN_KEY = Buffer.from(secret, 'base64').toString('utf8');
  }
  return merged;
}

/** What cannot be carried over; reported with the other configuration problems. */
export function rustPiraguaProblems(source: NodeJS.ProcessEnv): string[] {
  const secret = source.JWT_SECRET?.trim();
  return secret !== undefined && source.HEKETI_ADMIN_KEY === undefined && !isBase64(secret)
    ? [
        "JWT_SECRET: must be the base64 encoding of the key (the Rust piragua's format), or set HEKETI_ADMIN_KEY instead",
      ]
    : [];
}

function isBase64(text: string): boolean {
  return text.length > 0 && text.length % 4 === 0 && BASE64.test(text);
}
