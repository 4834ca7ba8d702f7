import type { ServerResponse } from 'node:http';

/** Writes an error the way Go's http.Error does, which is what Heketi's clients parse. */
export function writePlainError(
  response: ServerResponse,
  status: number,
  message: string,
  retryAfterSeconds?: number,
): void {
  const body = `${message}\n`;
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Content-Length', Buffer.byteLength(body));
  if (retryAfterSeconds !== undefined) {
    response.setHeader('Retry-After', String(retryAfterSeconds));
  }
  response.end(body);
}
