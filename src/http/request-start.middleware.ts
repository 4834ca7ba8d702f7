import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RequestScope } from '../common/request-scope.js';
import { REQUEST_ID_HEADER, requestIdFrom, type RequestLogger } from '../logging/request-logger.js';

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
    RequestScope.run(id, next);
  };
}
