import express, { ErrorRequestHandler, RequestHandler } from 'express';
import { sendPlainError } from './heketi-exception.filter.js';

/** Heketi's requests are a few hundred bytes; anything near this is hostile. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Go's json.Unmarshal matches keys case-insensitively and every Heketi key is lowercase. */
function lowercaseKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.toLowerCase(), inner]));
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * What a request's body is when it could not be parsed. Heketi authenticates before it parses, so
 * the 422 is left to the validation pipe, which runs after the guard.
 */
export const UNPARSABLE_BODY = Symbol('unparsable body');

/** body-parser reads an empty body as `{}`; Go's json.Unmarshal refuses it, and so does Heketi (422). */
function refuseEmpty(request: { method?: string }, _response: unknown, body: Buffer): void {
  if (body.length === 0 && METHODS_WITH_BODY.has(request.method ?? '')) {
    throw new Error('empty body');
  }
}

/** Parses every body as JSON whatever its Content-Type, as Heketi does. */
export const heketiJsonBody: RequestHandler = express.json({
  limit: MAX_BODY_BYTES,
  reviver: lowercaseKeys,
  strict: false,
  type: () => true,
  verify: refuseEmpty,
});

/** An oversized body is refused at once; one that does not parse is marked for the validation pipe. */
export const heketiBodyErrors: ErrorRequestHandler = (error: { type?: string }, request, response, next) => {
  if (error?.type === 'entity.too.large') {
    sendPlainError(response, 413, 'request body too large');
  } else if (error?.type) {
    (request as { body?: unknown }).body = UNPARSABLE_BODY;
    next();
  } else {
    next(error);
  }
};
