import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RequestScope } from '../common/request-scope.js';
import { REQUEST_ID_HEADER, requestIdFrom, type RequestLogger } from '../logging/request-logger.js';

function isUndecodable(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return false;
  } catch {
    return true;
  }
}

/**
 * The path segment a client escaped badly, if any. Go's server refuses such a target with a 400
 * wherever the bad escape is; Express would only notice it in a route parameter.
 */
export function undecodableSegment(url: string): string | undefined {
  const path = url.split('?', 1)[0];
  return path.includes('%') ? path.split('/').find(isUndecodable) : undefined;
}

/**
 * The first middleware: gives a request its id (a sane one the client sent, so a proxy's id follows
 * it), sent back as X-Request-Id, logs it, and runs everything after it (body, guard, pipes, handler
 * and the work they start) in the request's scope, so its storage calls count as the request's and
 * its log lines carry its id. Requests refused before any route get their id and line too.
 */
export function requestStart(requestLogger?: RequestLogger): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const id = requestIdFrom(request.headers['x-request-id']);
    response.setHeader(REQUEST_ID_HEADER, id);
    requestLogger?.track(id, request, response);
    const badSegment = undecodableSegment(request.url);
    if (badSegment === undefined) {
      RequestScope.run(id, next);
    } else {
      RequestScope.run(id, () => next(new BadRequestException(`Failed to decode param '${badSegment}'`)));
    }
  };
}
