import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heketiToken } from '../factories/heketi-token.factory.js';
import { HeketiClient } from '../heketi-client.js';
import { auditLines, LEVEL, type LogLine, parseLogLines, requestLines } from '../log-lines.js';
import { ADMIN_KEY, PiraguaProcess, USER_KEY } from '../piragua-process.js';

const dataDir = () => mkdtempSync(join(tmpdir(), 'piragua-log-'));

/** Any JWT: its header is base64url JSON, so it starts with `eyJ`. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/;

async function eventually<T>(look: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = look();
    if (found !== undefined || Date.now() > deadline) {
      if (found === undefined) {
        throw new Error('not logged in time');
      }
      return found;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Structured logs (LOG_FORMAT=json) and the audit trail', () => {
  let server: PiraguaProcess;
  let admin: HeketiClient;
  /** Every token this spec sends itself; HeketiClient's are caught by JWT_SHAPE. */
  const sentTokens: string[] = [];

  const send = async (
    method: string,
    path: string,
    token: string,
    body?: string,
    headers: Record<string, string> = {},
  ) => {
    sentTokens.push(token);
    return fetch(`${server.url}${path}`, {
      body,
      headers: { Authorization: `bearer ${token}`, 'Content-Type': 'application/json', ...headers },
      method,
      redirect: 'manual',
    });
  };

  beforeAll(async () => {
    server = await PiraguaProcess.start({ LOG_FORMAT: 'json', PIRAGUA_DATA_DIR: dataDir() });
    admin = new HeketiClient(server.url, ADMIN_KEY);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('should log one JSON line per request, with the request id it returns, and never the query string', async () => {
    const reused = await fetch(`${server.url}/hello?secret=do-not-log-me`, {
      headers: { 'X-Request-Id': 'e2e-hello-1' },
    });
    expect(reused.status).toBe(200);
    expect(reused.headers.get('x-request-id')).toBe('e2e-hello-1');

    const line = await eventually(() => requestLines(server.logs).find((entry) => entry.reqId === 'e2e-hello-1'));
    expect(line).toMatchObject({
      context: 'HTTP',
      level: LEVEL.info,
      method: 'GET',
      path: '/hello',
      reqId: 'e2e-hello-1',
      status: 200,
    });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(line.msg).toMatch(/^GET \/hello 200 \d+ ms$/);
    expect(new Date(line.time).toISOString()).toBe(line.time);
    expect(server.logs).not.toContain('do-not-log-me');

    // An id that is not sane (spaces, too long) is replaced, not echoed.
    for (const insane of ['two words', 'x'.repeat(65), 'a\tb']) {
      const replaced = await fetch(`${server.url}/hello`, { headers: { 'X-Request-Id': insane } });
      const id = replaced.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await eventually(() => requestLines(server.logs).find((entry) => entry.reqId === id));
    }
  });

  it('should give a request the body parsers refuse its request line too', async () => {
    const token = heketiToken({ key: ADMIN_KEY, method: 'POST', path: '/volumes' });
    const refused = await send('POST', '/volumes', token, '{"size": 1,', { 'X-Request-Id': 'e2e-unparsable' });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('x-request-id')).toBe('e2e-unparsable');
    const line = await eventually(() => requestLines(server.logs).find((entry) => entry.reqId === 'e2e-unparsable'));
    expect(line).toMatchObject({ method: 'POST', path: '/volumes', status: 422 });
  });

  it('should audit a create, an expand and a delete: who, what, which volume, result and duration', async () => {
    const created = await admin.async('POST', '/volumes', { name: 'audited', size: 1 });
    expect(created.final.status).toBe(200);
    const id: string = created.final.json().id;
    const expanded = await admin.async('POST', `/volumes/${id}/expand`, { expand_size: 1 });
    expect(expanded.final.status).toBe(200);
    const deleted = await admin.async('DELETE', `/volumes/${id}`);
    expect(deleted.final.status).toBe(204);

    const trail = await eventually(() => {
      const lines = auditLines(server.logs).filter((line) => line.volumeId === id);
      return lines.length === 3 ? lines : undefined;
    });
    expect(trail.map((line) => line.kind)).toEqual(['create', 'expand', 'delete']);
    for (const [line, accepted] of [
      [trail[0], created.accepted],
      [trail[1], expanded.accepted],
      [trail[2], deleted.accepted],
    ] as const) {
      expect(line).toMatchObject({
        audit: true,
        context: 'AuditService',
        issuer: 'admin',
        level: LEVEL.info,
        result: 'succeeded',
        volumeId: id,
        volumeName: 'audited',
      });
      expect(line.durationMs).toEqual(expect.any(Number));
      expect(line.operationId).toBe(accepted.headers.get('location')!.split('/').pop());
      // The audit line carries the id of the request that asked for the change.
      expect(line.reqId).toBe(accepted.headers.get('x-request-id'));
      expect(line.reason).toBeUndefined();
    }

    // The change requests' lines say who asked.
    const changes = requestLines(server.logs).filter((line) => line.method !== 'GET' && line.status === 202);
    expect(changes.length).toBeGreaterThanOrEqual(3);
    expect(changes.every((line) => line.issuer === 'admin')).toBe(true);
  });

  it('should not audit a create refused before it started (a duplicate name), and log its request line', async () => {
    const first = await admin.async('POST', '/volumes', { name: 'twice', size: 1 });
    expect(first.final.status).toBe(200);
    const again = await admin.request(
      'POST',
      '/volumes',
      { name: 'twice', size: 1 },
      { 'X-Request-Id': 'e2e-duplicate' },
    );
    expect(again.status).toBeGreaterThanOrEqual(400);

    const line = await eventually(() => requestLines(server.logs).find((entry) => entry.reqId === 'e2e-duplicate'));
    expect(line).toMatchObject({ issuer: 'admin', method: 'POST', path: '/volumes', status: again.status });
    const creates = auditLines(server.logs).filter((entry) => entry.kind === 'create' && entry.volumeName === 'twice');
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({ result: 'succeeded', volumeId: first.final.json().id });
    expect(auditLines(server.logs).some((entry) => entry.reqId === 'e2e-duplicate')).toBe(false);
  });

  it('should never log a key or a token, also for refused tokens', async () => {
    const attempts: Array<[string, string, string]> = [
      ['GET', '/volumes', heketiToken({ key: 'not-the-key', method: 'GET', path: '/volumes' })],
      ['GET', '/volumes', heketiToken({ exp: -600, key: ADMIN_KEY, method: 'GET', path: '/volumes' })],
      ['GET', '/volumes', heketiToken({ key: ADMIN_KEY, method: 'GET', path: '/clusters' })],
      [
        'DELETE',
        '/volumes/0123456789abcdef0123456789abcdef',
        heketiToken({
          issuer: 'user',
          key: USER_KEY,
          method: 'DELETE',
          path: '/volumes/0123456789abcdef0123456789abcdef',
        }),
      ],
      ['GET', '/volumes', `${heketiToken({ key: ADMIN_KEY, method: 'GET', path: '/volumes' })}garbage`],
      ['GET', '/clusters', heketiToken({ issuer: 'user', key: USER_KEY, method: 'GET', path: '/clusters' })],
    ];
    for (const [index, [method, path, token]] of attempts.entries()) {
      expect(
        (await send(method, path, token, undefined, { 'X-Request-Id': `e2e-token-${index}` })).status,
      ).toBeGreaterThanOrEqual(400);
    }
    const accepted = heketiToken({ key: ADMIN_KEY, method: 'GET', path: '/volumes' });
    expect((await send('GET', '/volumes', accepted, undefined, { 'X-Request-Id': 'e2e-token-ok' })).status).toBe(200);
    const ids = [...attempts.keys()].map((index) => `e2e-token-${index}`).concat('e2e-token-ok');
    await eventually(() =>
      ids.every((id) => requestLines(server.logs).some((line) => line.reqId === id)) ? true : undefined,
    );

    const logs = server.logs;
    expect(logs).not.toContain(ADMIN_KEY);
    expect(logs).not.toContain(USER_KEY);
    expect(sentTokens.filter((token) => logs.includes(token)).map((token) => token.slice(0, 40))).toEqual([]);
    expect(logs).not.toMatch(JWT_SHAPE);
    // No header value either: the only "bearer" a line may hold is the refusal text "must be Bearer {token}".
    expect(logs.replaceAll('Bearer {token}', '')).not.toMatch(/bearer\s/i);
    // A request line names the issuer only when its token was verified: not for a forged or stale one,
    // but for the user issuer's valid token on an admin route.
    const issuers = ids
      .map((id) => requestLines(logs).find((line) => line.reqId === id)!)
      .map((line) => [line.status, line.issuer ?? null]);
    expect(issuers).toEqual([
      [401, null],
      [401, null],
      [401, null],
      [401, 'user'],
      [401, null],
      [401, 'user'],
      [200, 'admin'],
    ]);
  });

  it('should write nothing but JSON objects, each with a level, a time and (for Nest loggers) a context', () => {
    const lines = parseLogLines(server.logs);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(line.level).toEqual(expect.any(Number));
      expect(line.time).toEqual(expect.any(String));
      expect(line.context).toEqual(expect.any(String));
    }
    expect(
      lines.some((line) => line.context === 'Bootstrap' && /listening on 127\.0\.0\.1:\d+$/.test(line.msg ?? '')),
    ).toBe(true);
    expect(lines.filter((line) => line.level >= LEVEL.error)).toEqual([]);
  });
});

describe('Log levels and formats', () => {
  it('should drop request lines at LOG_LEVEL=warn, but keep the audit trail', async () => {
    const server = await PiraguaProcess.start({ LOG_FORMAT: 'json', LOG_LEVEL: 'warn', PIRAGUA_DATA_DIR: dataDir() });
    try {
      const admin = new HeketiClient(server.url, ADMIN_KEY);
      const created = await admin.async('POST', '/volumes', { name: 'quiet', size: 1 });
      expect(created.final.status).toBe(200);
      expect((await fetch(`${server.url}/hello`)).status).toBe(200);
      await eventually(() => auditLines(server.logs).find((line) => line.volumeName === 'quiet'));

      const lines = parseLogLines(server.logs);
      expect(requestLines(server.logs)).toEqual([]);
      expect(lines.filter((line: LogLine) => line.level < LEVEL.warn && line.audit !== true)).toEqual([]);
      // A healthy start and a create have nothing to warn about (a route Express cannot read would).
      expect(lines.filter((line: LogLine) => line.audit !== true).map((line: LogLine) => line.msg)).toEqual([]);
      expect(auditLines(server.logs)).toEqual([
        expect.objectContaining({ issuer: 'admin', kind: 'create', result: 'succeeded', volumeName: 'quiet' }),
      ]);
    } finally {
      await server.stop();
    }
  });

  it('should write one readable line per entry with LOG_FORMAT=text, and the generated key once, marked', async () => {
    const server = await PiraguaProcess.start({
      HEKETI_ADMIN_KEY: '',
      LOG_FORMAT: 'text',
      PIRAGUA_DATA_DIR: dataDir(),
    });
    try {
      expect((await fetch(`${server.url}/hello`, { headers: { 'X-Request-Id': 'e2e-text' } })).status).toBe(200);
      await eventually(() => (server.logs.includes('e2e-text') ? true : undefined));
      const lines = server.logs.split('\n').filter(Boolean);
      expect(lines.every((line) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] [A-Z]+: /.test(line))).toBe(true);
      expect(lines.find((line) => line.includes('e2e-text'))).toMatch(
        / INFO: \[HTTP\] GET \/hello 200 \d+ ms \{"reqId":"e2e-text"\}$/,
      );
      const keyLines = lines.filter((line) => line.includes('admin key: '));
      expect(keyLines).toHaveLength(1);
      expect(keyLines[0]).toMatch(/ WARN: \[Bootstrap\] .*"sensitive":true/);
    } finally {
      await server.stop();
    }
  });
});
