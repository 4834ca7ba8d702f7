import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import express, { type Express } from 'express';
import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { RequestLogger } from '../logging/request-logger.js';
import { heketiBodies } from './heketi-body.middleware.js';
import { AsyncAccepted, HttpAnswer, PreRendered } from './http-answers.js';
import { requestStart } from './request-start.middleware.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

function send(response: ServerResponse, contentType: string | undefined, body: Buffer | string): void {
  if (contentType !== undefined && !response.hasHeader('Content-Type')) {
    response.setHeader('Content-Type', contentType);
  }
  response.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  response.end(body);
}

/**
 * The constructor Node's server is given for its requests or responses: the objects `base` makes,
 * with `prototype` as theirs. Express gives every request and response its app's prototypes
 * (`Object.setPrototypeOf` in `app.handle`); done to a live object, that made V8 keep every
 * request and response, and all they reach, through two young-generation collections into the
 * old generation, and slowed every later access to them. Born with them, Express's call changes
 * nothing.
 */
function bornWith<C extends new (...args: never[]) => object>(base: C, prototype: object): C {
  // A plain function calling `base` on the object `new` made (as Node's own subclasses call their
  // base): V8 then allocates it inline with a fast shape. A Proxy whose construct trap passed a
  // new target to Reflect.construct gave objects that made every request several times slower.
  function Born(this: object, ...args: unknown[]): void {
    Reflect.apply(base, this, args);
  }
  Born.prototype = prototype;
  return Born as unknown as C;
}

/**
 * Nest on Express, answering as Heketi does: JSON from Go's encoder (compact, trailing newline),
 * plain text for strings, an empty 202 with `Location` for async starts, and what a handler rendered
 * once sent as its bytes. Rendered here rather than by a Nest interceptor, whose Observable
 * pipeline per request was a large share of a read's CPU time, and written straight to Node's
 * response (no ETag: Heketi sends none, and hashing a 10,000-id list per request is not free).
 */
export class HeketiHttpAdapter extends ExpressAdapter {
  override reply(response: ServerResponse, body: unknown, statusCode?: number): void {
    if (statusCode !== undefined) {
      response.statusCode = statusCode;
    }
    if (body instanceof PreRendered) {
      send(response, JSON_TYPE, body.body);
    } else if (body instanceof AsyncAccepted) {
      response.setHeader('Location', body.location);
      response.end();
    } else if (body instanceof HttpAnswer) {
      response.statusCode = body.status;
      for (const [name, value] of Object.entries(body.headers)) {
        response.setHeader(name, value);
      }
      if (body.body === undefined) {
        response.end();
      } else {
        send(response, undefined, body.body);
      }
    } else if (body === undefined || body === null) {
      response.end();
    } else if (typeof body === 'string') {
      send(response, TEXT_TYPE, body);
    } else {
      send(response, JSON_TYPE, `${JSON.stringify(body)}\n`);
    }
  }

  /**
   * Node's server built here rather than by ExpressAdapter, only to have it make each request and
   * response with Express's prototypes from the start (see bornWith).
   */
  override initHttpServer(options: NestApplicationOptions): void {
    if (options.forceCloseConnections || options.return503OnClosing) {
      throw new Error('HeketiHttpAdapter: forceCloseConnections and return503OnClosing are not supported');
    }
    const app = this.getInstance<Express>();
    const classes = {
      IncomingMessage: bornWith(IncomingMessage, app.request),
      ServerResponse: bornWith(ServerResponse, app.response),
    };
    const server: Server =
      options.httpsOptions === undefined
        ? createServer(classes, app)
        : createHttpsServer({ ...options.httpsOptions, ...classes }, app);
    this.setHttpServer(server);
    // Longer than the idle timeouts of common clients and load balancers, so a reused connection is
    // not closed by us just as a client sends on it; headers just past it, as Node wants.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  }
}

/**
 * The HTTP server: paths case-insensitive with a trailing slash ignored (Express's defaults), ids of
 * any length reaching HeketiIdPipe (which answers Heketi's 404), every body read as Heketi's JSON,
 * and each request logged and counted from its first middleware on.
 */
export function createHttpAdapter(requestLogger?: RequestLogger): HeketiHttpAdapter {
  const app = express();
  app.disable('etag');
  app.disable('x-powered-by');
  const adapter = new HeketiHttpAdapter(app);
  app.use(requestStart(requestLogger));
  app.use(heketiBodies);
  return adapter;
}
