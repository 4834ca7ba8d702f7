import { hash } from 'node:crypto';

/**
 * Heketi's query-string hash: lowercase hex SHA-256 of `<METHOD>&<decoded URL path>`, query excluded.
 * One-shot: a Hash object per request was a measurable share of a read's CPU.
 */
export function computeQsh(method: string, path: string): string {
  return hash('sha256', `${method}&${path}`, 'hex');
}

/** The path a Go client hashed: Go's `URL.Path` is percent-decoded but not cleaned, and carries no query. */
export function requestPathForQsh(originalUrl: string): string {
  const raw = originalUrl.split('?', 1)[0] ?? '';
  if (!raw.includes('%')) {
    return raw;
  }
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
