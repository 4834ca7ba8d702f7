import jwt from 'jsonwebtoken';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heketiToken, TokenOptions } from '../factories/heketi-token.factory.js';
import { ADMIN_KEY, PiraguaProcess, USER_KEY } from '../piragua-process.js';

describe('Heketi JWT rules over HTTP (contract §3.1)', () => {
  let server: PiraguaProcess;

  beforeAll(async () => {
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: mkdtempSync(join(tmpdir(), 'piragua-auth-')) });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const call = async (path: string, authorization?: string, method = 'GET') => {
    const response = await fetch(`${server.url}${path}`, {
      headers: authorization === undefined ? {} : { Authorization: authorization },
      method,
    });
    return { body: await response.text(), length: response.headers.get('content-length'), status: response.status };
  };
  const token = (overrides: Partial<TokenOptions> = {}) =>
    heketiToken({ key: ADMIN_KEY, method: 'GET', path: '/clusters', ...overrides });

  const failures: [string, () => string | undefined, number, string | RegExp][] = [
    ['no Authorization header', () => undefined, 401, 'Required authorization token not found'],
    [
      'a header that is not "bearer <token>"',
      () => `Basic ${token()}`,
      400,
      'Authorization header format must be Bearer {token}',
    ],
    ['three words', () => `bearer ${token()} extra`, 400, 'Authorization header format must be Bearer {token}'],
    [
      'alg none',
      () => `bearer ${jwt.sign({ exp: Math.floor(Date.now() / 1000) + 60, iss: 'admin' }, '', { algorithm: 'none' })}`,
      401,
      'Invalid JWT token: Unexpected signing method: none',
    ],
    ['an unknown issuer', () => `bearer ${token({ issuer: 'root' })}`, 401, 'Invalid JWT token: Unknown user'],
    ['no issuer', () => `bearer ${token({ issuer: '' })}`, 401, 'Invalid JWT token: Token missing iss claim'],
    [
      'the wrong key',
      () => `bearer ${token({ key: 'not-the-key' })}`,
      401,
      'Invalid JWT token: signature is invalid (client and server secrets may not match)',
    ],
    [
      'the user key with the admin issuer',
      () => `bearer ${token({ key: USER_KEY })}`,
      401,
      'Invalid JWT token: signature is invalid (client and server secrets may not match)',
    ],
    [
      'an expired token',
      () => `bearer ${token({ exp: -30, iat: -330 })}`,
      401,
      /^Invalid JWT token: Token is expired by \d+s$/,
    ],
    ['no exp', () => `bearer ${token({ exp: null })}`, 401, 'Invalid JWT token: Token missing exp claim'],
    [
      'iat beyond the leeway',
      () => `bearer ${token({ iat: 600, exp: 900 })}`,
      401,
      'Invalid JWT token: Token used before issued (client and server clocks may differ)',
    ],
    [
      'nbf in the future',
      () => `bearer ${token({ claims: { nbf: Math.floor(Date.now() / 1000) + 600 } })}`,
      401,
      'Invalid JWT token: Token is not valid yet',
    ],
    ['a wrong qsh', () => `bearer ${token({ qsh: 'deadbeef' })}`, 401, 'Invalid qsh claim in token'],
    ['a token for another path', () => `bearer ${token({ path: '/volumes' })}`, 401, 'Invalid qsh claim in token'],
    ['a token for another method', () => `bearer ${token({ method: 'POST' })}`, 401, 'Invalid qsh claim in token'],
    [
      'the user issuer on an admin route',
      () => `bearer ${token({ issuer: 'user', key: USER_KEY })}`,
      401,
      'Administrator access required',
    ],
  ];

  it.each(failures)('should refuse %s', async (_case, header, status, message) => {
    const response = await call('/clusters', header());
    expect(response.status).toBe(status);
    expect(response.body.endsWith('\n')).toBe(true);
    expect(response.length).toBe(String(Buffer.byteLength(response.body)));
    if (typeof message === 'string') {
      expect(response.body).toBe(`${message}\n`);
    } else {
      expect(response.body.trim()).toMatch(message);
    }
  });

  it('should accept an iat within the leeway, any HMAC algorithm and a capitalised scheme', async () => {
    expect((await call('/clusters', `bearer ${token({ iat: 60 })}`)).status).toBe(200);
    expect((await call('/clusters', `bearer ${token({ algorithm: 'HS512' })}`)).status).toBe(200);
    expect((await call('/clusters', `Bearer ${token()}`)).status).toBe(200);
  });

  it('should hash the path without the query string', async () => {
    expect((await call('/clusters?verbose=1', `bearer ${token()}`)).status).toBe(200);
  });

  it('should serve /hello, health and the docs without a token', async () => {
    const hello = await call('/hello');
    expect(hello.status).toBe(200);
    expect(hello.body).toBe('Hello from Heketi');
    expect((await call('/health/live')).status).toBe(200);
    expect((await call('/health/ready')).status).toBe(200);
    expect((await call('/docs-json')).status).toBe(200);
  });

  it('should authenticate before routing, like Heketi', async () => {
    expect(await call('/topology')).toMatchObject({ body: 'Required authorization token not found\n', status: 401 });
    const known = await call(
      '/topology',
      `bearer ${heketiToken({ key: ADMIN_KEY, method: 'GET', path: '/topology' })}`,
    );
    expect(known).toMatchObject({ body: 'Invalid path or request\n', status: 404 });
  });
});
