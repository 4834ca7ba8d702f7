import { createHash } from 'node:crypto';

/** Heketi's query-string hash: lowercase hex SHA-256 of `<METHOD>&<decoded URL path>`, query excluded. */
export function computeQsh(method: string, path: string): string {
  return createHash('sha256').update(`${method}&${path}`).digest('hex');
}

/** The path a Go client hashed: Go's `URL.Path` is percent-decoded but not cleaned, and carries no query. */
export function requestPathForQsh(originalUrl: string): string {
  const raw = originalUrl.split('?', 1)[0] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
