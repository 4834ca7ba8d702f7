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

/** Body-parser failures happen before Nest's filters, so they are answered here in Heketi's words. */
export const heketiBodyErrors: ErrorRequestHandler = (error: { type?: string }, _request, response, next) => {
  if (error?.type === 'entity.too.large') {
    sendPlainError(response, 413, 'request body too large');
  } else if (error?.type) {
    sendPlainError(response, 422, 'request unable to be parsed');
  } else {
    next(error);
  }
};
