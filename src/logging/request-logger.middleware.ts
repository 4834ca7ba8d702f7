import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';
import { pinoHttp, startTime, type HttpLogger } from 'pino-http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What an incoming X-Request-Id must look like to be reused: a UUID, a hex or similar id; never long enough for a JWT. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Scraped every few seconds: logged at debug while they succeed. */
const PROBE_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

const MAX_PATH_LENGTH = 512;

type LoggedRequest = IncomingMessage & { originalUrl?: string; user?: { issuer?: string } };

/** The client's id when it is sane (so a proxy's id follows the request), else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The path only: never the query string, nor the authority of an absolute-form target (it may carry user:password). */
export function loggedPath(request: LoggedRequest): string {
  let target = request.originalUrl ?? request.url ?? '';
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

export function requestLevel(request: LoggedRequest, response: ServerResponse, error?: Error): Level {
  if (error !== undefined || response.statusCode >= 500) {
    // Not error: a failed operation's queue poll or an unready probe is a 500/503 by design.
    return 'warn';
  }
  return request.method === 'GET' && response.statusCode < 400 && PROBE_PATHS.has(loggedPath(request)) ? 'debug' : 'info';
}

function fields(request: LoggedRequest, response: ServerResponse, durationMs: number): Record<string, unknown> {
  const issuer = request.user?.issuer;
  return {
    context: 'HTTP',
    durationMs,
    // Set by the JWT guard once the token checked out; refused requests have none.
    ...(issuer === undefined ? {} : { issuer }),
    method: request.method,
    path: loggedPath(request),
    status: response.statusCode,
    ...(response.writableEnded ? {} : { aborted: true }),
  };
}

function message(request: LoggedRequest, response: ServerResponse, durationMs: number): string {
  return `${request.method} ${loggedPath(request)} ${response.statusCode} ${durationMs} ms${response.writableEnded ? '' : ' (aborted)'}`;
}

/**
 * One line per request (id, method, path, status, duration, issuer when known), and `req.log`: a
 * child logger carrying the request id for everything logged while handling it. Mounted first, so
 * requests refused by the body parsers are logged too. No header is ever logged.
 */
export function requestLogger(root: Logger): HttpLogger<LoggedRequest, ServerResponse> {
  return pinoHttp<LoggedRequest, ServerResponse>({
    customErrorMessage: (request, response) => message(request, response, Date.now() - response[startTime]),
    customErrorObject: (request, response, error, value: { responseTime: number }) => ({
      ...fields(request, response, value.responseTime),
      // pino-http makes up "failed with status code 5xx" for any 5xx; only a real stream error is worth its own field.
      ...(error.message.startsWith('failed with status code') ? {} : { error: error.message }),
    }),
    customLogLevel: requestLevel,
    customSuccessMessage: message,
    customSuccessObject: (request, response, value: { responseTime: number }) => fields(request, response, value.responseTime),
    genReqId: (request, response) => {
      const id = requestIdFrom(request.headers['x-request-id']);
      response.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    logger: root,
    quietReqLogger: true,
    quietResLogger: true,
    // The default serializers would copy every header (Authorization included) into each child logger.
    serializers: { req: (request: LoggedRequest) => ({ id: request.id }), res: () => undefined },
    wrapSerializers: false,
  });
}
