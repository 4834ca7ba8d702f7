import jwt from 'jsonwebtoken';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeQsh } from '../auth/qsh.js';
import { HeketiApiClient } from './heketi-api.client.js';
import { HeketiApiError } from './heketi-api.error.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

const KEY = 'spec-secret';
const VOLUME = {
  cluster: 'c1',
  id: 'a'.repeat(32),
  mount: { glusterfs: { device: '', hosts: [], options: {} } },
  name: 'gv0/x/y',
  size: 1,
};

/** A real HTTP server on a free port whose routes each spec sets; it records every request it saw. */
describe(HeketiApiClient.name, () => {
  let server: Server;
  let routes: Map<string, Handler>;
  let seen: { authorization?: string; body: string; method: string; url: string }[];
  let sut: HeketiApiClient;

  beforeEach(async () => {
    routes = new Map();
    seen = [];
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ authorization: request.headers.authorization, body, method: request.method!, url: request.url! });
        const handler = routes.get(`${request.method} ${request.url}`);
        if (handler) {
          handler(request, body, response);
        } else {
          response.writeHead(404).end('Id not found\n');
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    sut = new HeketiApiClient({ key: KEY, url: `http://127.0.0.1:${port}`, user: 'admin' });
  });

  afterEach(async () => {
    sut.close();
    server.close();
    await once(server, 'close');
  });

  const json =
    (status: number, value: unknown, headers: Record<string, string> = {}): Handler =>
    (_, __, response) =>
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(value));

  it('should sign every request with a fresh HS256 token bound to its method and path', async () => {
    routes.set(`GET /volumes/${VOLUME.id}`, json(200, VOLUME));
    await sut.getVolume(VOLUME.id);
    const token = seen[0]!.authorization!.replace(/^bearer /, '');
    const claims = jwt.verify(token, KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims.iss).toBe('admin');
    expect(claims.qsh).toBe(computeQsh('GET', `/volumes/${VOLUME.id}`));
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(5);
  });

  it('should answer undefined for a volume the server does not know', async () => {
    expect(await sut.getVolume('b'.repeat(32))).toBeUndefined();
    expect(await sut.findVolumeByName('pvc-x')).toBeUndefined();
  });

  it('should follow a create through the queue: pending, pending, then 303 to the volume', async () => {
    let polls = 0;
    routes.set('POST /volumes', (_, __, response) => response.writeHead(202, { Location: '/queue/op1' }).end());
    routes.set('GET /queue/op1', (_, __, response) => {
      polls += 1;
      if (polls < 3) {
        response.writeHead(200, { 'X-Pending': 'true' }).end();
      } else {
        response.writeHead(303, { Location: `/volumes/${VOLUME.id}` }).end();
      }
    });
    routes.set(`GET /volumes/${VOLUME.id}`, json(200, VOLUME));
    const created = await sut.createVolume({ name: 'n1', size: 1 });
    expect(created).toEqual(VOLUME);
    expect(polls).toBe(3);
    expect(JSON.parse(seen[0]!.body)).toEqual({ name: 'n1', size: 1 });
  });

  it('should return a new volume’s id from the queue’s redirect without reading the volume', async () => {
    routes.set('POST /volumes', (_, __, response) => response.writeHead(202, { Location: '/queue/op5' }).end());
    routes.set('GET /queue/op5', (_, __, response) =>
      response.writeHead(303, { Location: `/volumes/${VOLUME.id}` }).end(),
    );
    expect(await sut.createVolumeId({ name: 'n5', size: 1 })).toBe(VOLUME.id);
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual(['POST /volumes', 'GET /queue/op5']);
  });

  it('should report a failed operation with the queue’s 500 text', async () => {
    routes.set('POST /volumes', (_, __, response) => response.writeHead(202, { Location: '/queue/op2' }).end());
    routes.set('GET /queue/op2', (_, __, response) =>
      response.writeHead(500).end('Failed to allocate new volume: No space\n'),
    );
    const failure = await sut.createVolume({ name: 'n2', size: 1 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HeketiApiError);
    expect(failure).toMatchObject({ message: 'Failed to allocate new volume: No space', status: 500 });
  });

  it('should finish a delete on 204 and report an unknown id as false', async () => {
    routes.set(`DELETE /volumes/${VOLUME.id}`, (_, __, response) =>
      response.writeHead(202, { Location: '/queue/op3' }).end(),
    );
    routes.set('GET /queue/op3', (_, __, response) => response.writeHead(204).end());
    expect(await sut.deleteVolume(VOLUME.id)).toBe(true);
    expect(await sut.deleteVolume('c'.repeat(32))).toBe(false);
  });

  it('should wait as long as Retry-After says on a 429 and then try again', async () => {
    let calls = 0;
    routes.set('GET /volumes', (request, body, response) => {
      calls += 1;
      if (calls === 1) {
        response.writeHead(429, { 'Retry-After': '1' }).end('Server busy. Retry operation later.\n');
      } else {
        json(200, { volumes: ['x'] })(request, body, response);
      }
    });
    const started = Date.now();
    expect(await sut.listVolumeIds()).toEqual(['x']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls).toBe(2);
    // Each attempt carries its own token.
    expect(seen[0]!.authorization).toBeDefined();
    expect(seen[1]!.authorization).toBeDefined();
  });

  it('should send the expand delta and return the grown volume', async () => {
    routes.set(`POST /volumes/${VOLUME.id}/expand`, (_, __, response) =>
      response.writeHead(202, { Location: '/queue/op4' }).end(),
    );
    routes.set('GET /queue/op4', (_, __, response) =>
      response.writeHead(303, { Location: `/volumes/${VOLUME.id}` }).end(),
    );
    routes.set(`GET /volumes/${VOLUME.id}`, json(200, { ...VOLUME, size: 3 }));
    expect((await sut.expandVolume(VOLUME.id, 2)).size).toBe(3);
    expect(JSON.parse(seen[0]!.body)).toEqual({ expand_size: 2 });
  });

  it('should say the server is unreachable rather than hang or throw a raw socket error', async () => {
    const closed = new HeketiApiClient({ key: KEY, requestTimeoutMs: 2000, url: 'http://127.0.0.1:1', user: 'admin' });
    const failure = await closed.ready().catch((error: unknown) => error);
    closed.close();
    expect(failure).toBeInstanceOf(HeketiApiError);
    expect(failure).toMatchObject({ status: 0 });
    expect((failure as Error).message).toMatch(/unreachable: ECONNREFUSED/);
  });

  it('should keep a base path in the request and in the token’s qsh', async () => {
    const { port } = server.address() as { port: number };
    const prefixed = new HeketiApiClient({ key: KEY, url: `http://127.0.0.1:${port}/heketi/`, user: 'admin' });
    routes.set('GET /heketi/clusters', json(200, { clusters: ['c1'] }));
    expect(await prefixed.clusterIds()).toEqual(['c1']);
    prefixed.close();
    const claims = jwt.decode(seen[0]!.authorization!.replace(/^bearer /, '')) as jwt.JwtPayload;
    expect(claims.qsh).toBe(computeQsh('GET', '/heketi/clusters'));
  });
});
