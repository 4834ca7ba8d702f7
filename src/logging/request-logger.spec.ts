import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpAdapter } from '../http/heketi-http.adapter.js';
import { loggedPath, RequestLogger, requestIdFrom } from './request-logger.js';
import { createRootLogger } from './root-logger.js';

type Handler = (request: IncomingMessage, response: ServerResponse, root: Logger) => void;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe(RequestLogger.name, () => {
  let server: Server | undefined;
  let lines: Record<string, unknown>[];

  afterEach(async () => {
    if (server !== undefined) {
      await new Promise((resolve) => server!.close(resolve));
    }
    server = undefined;
  });

  async function serve(handler: Handler, level: 'debug' | 'info' | 'warn' = 'debug'): Promise<number> {
    lines = [];
    const root = createRootLogger({ format: 'json', level }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const app = createHttpAdapter(new RequestLogger(root)).getInstance<Express>();
    app.use((request: IncomingMessage, response: ServerResponse) => handler(request, response, root));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  /** A raw request, so the target and the headers are sent exactly as given. */
  async function send(
    port: number,
    target: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ): Promise<{ headers: Record<string, unknown>; status: number }> {
    const request = httpRequest({ headers, host: '127.0.0.1', method, path: target, port });
    request.end();
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    response.resume();
    await once(response, 'end');
    // The line is written once the response is over, which may come just after the client has it.
    await new Promise((resolve) => setImmediate(resolve));
    return { headers: response.headers, status: response.statusCode! };
  }

  const ok: Handler = (_request, response) => response.end('ok');

  it('should log one line with the reused request id, method, path, status and duration, and return the id', async () => {
    const port = await serve(ok);
    const answer = await send(port, '/volumes?secret=hush', { 'X-Request-Id': 'abc-123' });

    expect(answer.headers['x-request-id']).toBe('abc-123');
    expect(lines).toEqual([
      {
        context: 'HTTP',
        durationMs: expect.any(Number),
        hostname: expect.any(String),
        level: 30,
        method: 'GET',
        msg: expect.stringMatching(/^GET \/volumes 200 \d+ ms$/),
        path: '/volumes',
        pid: process.pid,
        reqId: 'abc-123',
        status: 200,
        time: expect.any(String),
      },
    ]);
  });

  it('should never log a header, the Authorization header least of all', async () => {
    const port = await serve(ok);
    await send(port, '/volumes', {
      Authorization: 'bearer eyJhbGciOiJIUzI1NiJ9.secret.sig',
      Cookie: 'session=cookie-secret',
    });

    expect(JSON.stringify(lines)).not.toMatch(/eyJ|cookie-secret|authorization/i);
  });

  it('should name the issuer the guard verified', async () => {
    const port = await serve((request, response) => {
      (request as IncomingMessage & { user?: unknown }).user = { issuer: 'admin' };
      response.statusCode = 202;
      response.end();
    });
    await send(port, '/volumes', {}, 'POST');

    expect(lines[0]).toMatchObject({ issuer: 'admin', method: 'POST', status: 202 });
  });

  it('should give the lines logged while handling a request its id', async () => {
    const port = await serve((_request, response, root) => {
      setImmediate(() => {
        root.info({ context: 'Handler' }, 'working');
        response.end();
      });
    });
    await send(port, '/x', { 'X-Request-Id': 'bound' });

    expect(lines.map((line) => [line.context, line.reqId])).toEqual([
      ['Handler', 'bound'],
      ['HTTP', 'bound'],
    ]);
    expect(lines[0]).not.toHaveProperty('req');
  });

  it('should log a 5xx at warn, and successful probes at debug', async () => {
    const port = await serve((request, response) => {
      response.statusCode = request.url === '/queue/x' ? 500 : 200;
      response.end();
    });
    await send(port, '/queue/x');
    await send(port, '/health/ready');
    await send(port, '/metrics');

    expect(lines.map((line) => [line.path, line.status, line.level])).toEqual([
      ['/queue/x', 500, 40],
      ['/health/ready', 200, 20],
      ['/metrics', 200, 20],
    ]);
    expect(lines[0]).not.toHaveProperty('error');
  });

  it('should drop request lines below the configured level', async () => {
    const port = await serve(ok, 'warn');
    await send(port, '/volumes');

    expect(lines).toEqual([]);
  });
});

describe(requestIdFrom.name, () => {
  it.each(['abc-123', '0123456789abcdef0123456789abcdef', 'f3c1e0b6-6f0e-4a0e-9d0e-3f5f2a8c1b2d', 'trace:1.2_3'])(
    'should reuse %s',
    (id) => {
      expect(requestIdFrom(id)).toBe(id);
    },
  );

  it.each([
    ['spaces', 'a b'],
    ['too long', 'x'.repeat(65)],
    ['empty', ''],
    ['a JWT', `eyJhbGciOiJIUzI1NiJ9.${'e'.repeat(60)}.${'s'.repeat(43)}`],
    ['quotes', '"x"'],
  ])('should replace one with %s', (_why, id) => {
    expect(requestIdFrom(id)).toMatch(UUID);
  });

  it('should replace a missing or repeated header', () => {
    expect(requestIdFrom(undefined)).toMatch(UUID);
    expect(requestIdFrom(['a', 'b'])).toMatch(UUID);
  });
});

describe(loggedPath.name, () => {
  it.each([
    ['/volumes?x=1', '/volumes'],
    ['/volumes', '/volumes'],
    ['http://user:password@example.org/volumes?x=1', '/volumes'],
    ['*', '*'],
  ])('should log %s as %s', (url, path) => {
    expect(loggedPath({ url })).toBe(path);
  });

  it('should cap a long path', () => {
    expect(loggedPath({ url: `/${'a'.repeat(600)}` })).toHaveLength(513);
  });
});
