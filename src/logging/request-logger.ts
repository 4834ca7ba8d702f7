import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';
import { RequestScope } from '../common/request-scope.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What an incoming X-Request-Id must look like to be reused: a UUID, a hex or similar id; never long enough for a JWT. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Scraped every few seconds: logged at debug while they succeed. */
const PROBE_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

const MAX_PATH_LENGTH = 512;

type LoggedRequest = IncomingMessage & { user?: { issuer?: string } };

/**
 * pino's mixin: every line logged while a request is handled (guard refusals, audit lines of the
 * operations it started…) carries its id, without a child logger per request.
 */
export function requestIdField(): { reqId?: string } {
  const reqId = RequestScope.id();
  return reqId === undefined ? {} : { reqId };
}

/** The client's id when it is sane (so a proxy's id follows the request), else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The path only: never the query string, nor the authority of an absolute-form target (it may carry user:password). */
export function loggedPath(request: Pick<IncomingMessage, 'url'>): string {
  let target = request.url ?? '';
  if (!target.startsWith('/')) {
    try {
      target = new URL(target).pathname;
    } catch {
      // `*` (OPTIONS) or garbage: logged as sent, minus any query.
    }
  }
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  return path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path;
}

export function requestLevel(request: LoggedRequest, response: ServerResponse): Level {
  if (response.statusCode >= 500) {
    // Not error: a failed operation's queue poll or an unready probe is a 500/503 by design.
    return 'warn';
  }
  return request.method === 'GET' && response.statusCode < 400 && PROBE_PATHS.has(loggedPath(request))
    ? 'debug'
    : 'info';
}

/**
 * One line per request (id, method, path, status, duration, issuer when known), written when its
 * response is done or its client went away. No header is ever logged.
 */
export class RequestLogger {
  constructor(private readonly root: Logger) {}

  /** Logs the request (whose id the HTTP server gave it) once it is over: answered, or its client gone. */
  track(reqId: string, request: LoggedRequest, response: ServerResponse): void {
    const started = Date.now();
    response.once('close', () => this.write(reqId, request, response, Date.now() - started));
  }

  private write(reqId: string, request: LoggedRequest, response: ServerResponse, durationMs: number): void {
    const level = requestLevel(request, response);
    if (!this.root.isLevelEnabled(level)) {
      return;
    }
    const path = loggedPath(request);
    const issuer = request.user?.issuer;
    const aborted = !response.writableEnded;
    const fields = {
      context: 'HTTP',
      durationMs,
      // Set by the JWT guard once the token checked out; refused requests have none.
      ...(issuer === undefined ? {} : { issuer }),
      method: request.method,
      path,
      reqId,
      status: response.statusCode,
      ...(aborted ? { aborted } : {}),
    };
    this.root[level](
      fields,
      `${request.method} ${path} ${response.statusCode} ${durationMs} ms${aborted ? ' (aborted)' : ''}`,
    );
  }
}
