import { FastifyAdapter } from '@nestjs/platform-fastify';
import { fastify, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { HeketiPrincipal } from '../auth/heketi-jwt.strategy.js';
import { REQUEST_ID_HEADER, requestIdFrom, type RequestLogger } from '../logging/request-logger.js';
import { MAX_BODY_BYTES, useHeketiBodies } from './heketi-body.parser.js';
import { sendPlainError } from './heketi-exception.filter.js';
import { useHeketiResponses } from './heketi-response.js';
import { RequestScope } from './request-scope.js';

export interface HttpOptions {
  https?: { cert: Buffer; key: Buffer };
  /** Logs each request; none in tests. */
  requestLogger?: RequestLogger;
}

/** The path segment a client escaped badly, for the 400 (as Express named it). */
function undecodableSegment(url: string): string {
  const isUndecodable = (segment: string): boolean => {
    try {
      decodeURIComponent(segment);
      return false;
    } catch {
      return true;
    }
  };
  return url.split('?', 1)[0]!.split('/').find(isUndecodable) ?? url;
}

const CLIENT_ERROR_STATUS: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  HPE_HEADER_OVERFLOW: 431,
};

/**
 * What Node itself answers to a request it cannot parse (Fastify would answer JSON): a bare status
 * line, unless a response on the connection is already under way.
 */
function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Socket & { _httpMessage?: ServerResponse | null },
): void {
  if (socket.writable && !socket._httpMessage?.headersSent) {
    const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy(error);
}

/** Gives a request its id (a sane one the client sent, so a proxy's id follows it), sent back as X-Request-Id, and logs it. */
function startRequest(request: FastifyRequest, reply: FastifyReply, requestLogger?: RequestLogger): string {
  const id = requestIdFrom(request.headers['x-request-id']);
  reply.raw.setHeader(REQUEST_ID_HEADER, id);
  requestLogger?.track(id, request.raw, reply.raw);
  return id;
}

/**
 * The HTTP server, routed the way Express routed it: paths case-insensitive, a trailing slash
 * ignored, ids of any length reaching HeketiIdPipe (which answers Heketi's 404), every body read as
 * Heketi's JSON, and each request logged and counted from its first hook on.
 */
export function createHttpAdapter({ https, requestLogger }: HttpOptions = {}): FastifyAdapter {
  const server = fastify({
    bodyLimit: MAX_BODY_BYTES,
    clientErrorHandler: answerClientError,
    // A malformed %-escape in the path, answered by the router before any hook runs.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      startRequest(request, reply, requestLogger);
      sendPlainError(
        reply,
        400,
        error.code === 'FST_ERR_BAD_URL'
          ? `Failed to decode param '${undecodableSegment(request.raw.url ?? '')}'`
          : error.message,
      );
    },
    ...(https ? { https } : {}),
    // Longer than the idle timeouts of common clients and load balancers, so a reused connection is
    // not closed by us just as a client sends on it (headersTimeout follows in main.ts).
    keepAliveTimeout: 65_000,
    // Node's own default, which Fastify turns off: a whole request must arrive within 5 minutes.
    requestTimeout: 300_000,
    // While shutting down, requests on open connections are still answered (with Connection: close), as
    // under Express, rather than with Fastify's JSON 503.
    return503OnClosing: false,
    // Node's request line and headers stop at 16 KiB (431), so no id can be longer.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 16 * 1024 },
  });
  // The request logger sees Node's request only, so the guard's principal is kept there.
  server.decorateRequest('user', {
    getter(this: FastifyRequest) {
      return (this.raw as { user?: HeketiPrincipal }).user;
    },
    setter(this: FastifyRequest, user: HeketiPrincipal | undefined) {
      (this.raw as { user?: HeketiPrincipal }).user = user;
    },
  });
  // First, so that requests refused before any route (bodies too large, unknown paths) get their id
  // and line too; everything after it (body, guard, pipes, handler and the work they start) runs in
  // the request's scope, so its storage calls count as the request's and its log lines carry its id.
  server.addHook('onRequest', (request, reply, done) =>
    RequestScope.run(startRequest(request, reply, requestLogger), done),
  );
  useHeketiBodies(server);
  useHeketiResponses(server);
  return new FastifyAdapter(server);
}
