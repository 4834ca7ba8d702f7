import { Controller, Get, HttpCode, INestApplication, Param, Post, Req } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import jwt from 'jsonwebtoken';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_KEY, appConfig, USER_KEY } from '../../test/factories/app-config.factory.js';
import { heketiToken, TokenOptions } from '../../test/factories/heketi-token.factory.js';
import { listenTestingApp } from '../../test/factories/nest-app.factory.js';
import { Public } from '../common/public.decorator.js';
import { ConfigModule } from '../config/config.module.js';
import { HeketiExceptionFilter } from '../http/heketi-exception.filter.js';
import { AuthModule } from './auth.module.js';
import { HeketiAuthGuard } from './heketi-auth.guard.js';
import { HeketiJwtStrategy, HeketiPrincipal, type HeketiRequest } from './heketi-jwt.strategy.js';
import { computeQsh } from '../common/qsh.js';
import { UserAllowed } from './user-allowed.decorator.js';

/** 2023-11-14T22:13:20Z, the contract's worked example time; the clock is frozen there. */
const NOW = 1_700_000_000;
const QUEUE_ID = '0123456789abcdef0123456789abcdef';

function issuerOf(request: HeketiRequest): string {
  return (request.user as HeketiPrincipal).issuer;
}

@Controller()
class SpecController {
  @Get('hello')
  @Public()
  hello(): string {
    return 'public';
  }

  @Get('volumes')
  @UserAllowed()
  list(@Req() request: HeketiRequest): string {
    return `list as ${issuerOf(request)}`;
  }

  @Post('volumes')
  @HttpCode(200)
  @UserAllowed()
  create(@Req() request: HeketiRequest): string {
    return `create as ${issuerOf(request)}`;
  }

  @Get('volumes/:id')
  info(@Param('id') id: string, @Req() request: HeketiRequest): string {
    return `info ${id} as ${issuerOf(request)}`;
  }

  @Get('queue/:id')
  poll(@Param('id') id: string, @Req() request: HeketiRequest): string {
    return `poll ${id} as ${issuerOf(request)}`;
  }
}

interface Answer {
  body: string;
  headers: Headers;
  status: number;
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** HS256 by hand, for claims jsonwebtoken's sign() refuses to write. */
function signRaw(claims: Record<string, unknown>, key: string): string {
  const unsigned = `${encodeSegment({ alg: 'HS256', typ: 'JWT' })}.${encodeSegment(claims)}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

function claimsAt(method: string, path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { exp: NOW + 300, iat: NOW, iss: 'admin', qsh: computeQsh(method, path), ...extra };
}

describe(HeketiAuthGuard.name, () => {
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    const config = appConfig();
    ({ app, baseUrl } = await listenTestingApp({
      controllers: [SpecController],
      imports: [AuthModule, ConfigModule.forRoot(config)],
      providers: [{ provide: APP_FILTER, useClass: HeketiExceptionFilter }],
    }));
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    // Only Date is faked: jsonwebtoken, the strategy and the token factory all read Date.now().
    vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  async function call(path: string, authorization?: string, method = 'GET'): Promise<Answer> {
    const response = await fetch(`${baseUrl}${path}`, {
      headers: authorization === undefined ? {} : { Authorization: authorization },
      method,
      redirect: 'manual',
    });
    return { body: await response.text(), headers: response.headers, status: response.status };
  }

  function token(options: Partial<TokenOptions> & Pick<TokenOptions, 'method' | 'path'>): string {
    return heketiToken({ key: ADMIN_KEY, ...options });
  }

  /** GET `path` with a Go-client style header signed for that path. */
  function callAs(path: string, options: Partial<TokenOptions> = {}): Promise<Answer> {
    const method = options.method ?? 'GET';
    return call(path, `bearer ${token({ method, path: path.split('?')[0], ...options })}`, method);
  }

  function expectHeketiError(answer: Answer, status: number, message: string): void {
    expect({ body: answer.body, status: answer.status }).toEqual({ body: `${message}\n`, status });
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(`${message}\n`)));
  }

  describe('public routes', () => {
    it('should serve a @Public() route without a token', async () => {
      const answer = await call('/hello');

      expect({ body: answer.body, status: answer.status }).toEqual({ body: 'public', status: 200 });
    });

    it('should not parse the Authorization header of a @Public() route', async () => {
      const answer = await call('/hello', 'Basic nonsense at all');

      expect(answer.status).toBe(200);
    });
  });

  describe('the Authorization header', () => {
    it('should answer 401 when the header is missing', async () => {
      expectHeketiError(await call('/volumes'), 401, 'Required authorization token not found');
    });

    it('should answer 401 when the header is empty', async () => {
      expectHeketiError(await call('/volumes', ''), 401, 'Required authorization token not found');
    });

    it.each(['Bearer', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'Token abc', 'Bearerabc'])(
      'should answer 400 for the malformed header %j',
      async (header) => {
        expectHeketiError(await call('/volumes', header), 400, 'Authorization header format must be Bearer {token}');
      },
    );

    it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])(
      'should accept the scheme %j case-insensitively',
      async (scheme) => {
        const answer = await call('/volumes', `${scheme} ${token({ method: 'GET', path: '/volumes' })}`);

        expect({ body: answer.body, status: answer.status }).toEqual({ body: 'list as admin', status: 200 });
      },
    );

    it('should split scheme and token on any run of whitespace', async () => {
      const answer = await call('/volumes', `bearer \t  ${token({ method: 'GET', path: '/volumes' })}`);

      expect(answer.status).toBe(200);
    });

    it('should answer 401 for a token that is not a JWT', async () => {
      const answer = await call('/volumes', 'bearer not-a-jwt');

      expect(answer.status).toBe(401);
      expect(answer.body).toMatch(/^Invalid JWT token: .+\n$/);
    });

    it.each([
      ['two parts', () => `${encodeSegment({ alg: 'HS256' })}.${encodeSegment(claimsAt('GET', '/volumes'))}`],
      [
        'claims that are not an object',
        () => `${encodeSegment({ alg: 'HS256' })}.${Buffer.from('42').toString('base64url')}.c2ln`,
      ],
      [
        'a header that is not JSON',
        () => `${Buffer.from('{alg').toString('base64url')}.${encodeSegment(claimsAt('GET', '/volumes'))}.c2ln`,
      ],
      [
        'a character outside base64url',
        () => `${encodeSegment({ alg: 'HS256' })}.${encodeSegment(claimsAt('GET', '/volumes'))}+.c2ln`,
      ],
    ])('should refuse a token with %s as malformed', async (_case, token) => {
      expectHeketiError(await call('/volumes', `bearer ${token()}`), 401, 'Invalid JWT token: token is malformed');
    });
  });

  describe('the algorithm', () => {
    it('should refuse an unsigned token (alg none)', async () => {
      const unsigned = `${encodeSegment({ alg: 'none', typ: 'JWT' })}.${encodeSegment(claimsAt('GET', '/volumes'))}.`;

      expectHeketiError(
        await call('/volumes', `bearer ${unsigned}`),
        401,
        'Invalid JWT token: Unexpected signing method: none',
      );
    });

    it('should refuse an RS256 token', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const signed = jwt.sign(claimsAt('GET', '/volumes'), privateKey, { algorithm: 'RS256', noTimestamp: true });

      expectHeketiError(
        await call('/volumes', `bearer ${signed}`),
        401,
        'Invalid JWT token: Unexpected signing method: RS256',
      );
    });

    it.each(['HS256', 'HS384', 'HS512'] as const)('should accept %s', async (algorithm) => {
      const answer = await callAs('/volumes', { algorithm });

      expect({ body: answer.body, status: answer.status }).toEqual({ body: 'list as admin', status: 200 });
    });
  });

  describe('the issuer and its key', () => {
    it('should refuse an unknown issuer', async () => {
      expectHeketiError(await callAs('/volumes', { issuer: 'root' }), 401, 'Invalid JWT token: Unknown user');
    });

    it.each([
      ['missing', { iss: undefined }],
      ['empty', { iss: '' }],
    ])('should refuse a token whose iss is %s', async (_case, claims) => {
      expectHeketiError(await callAs('/volumes', { claims }), 401, 'Invalid JWT token: Token missing iss claim');
    });

    it('should refuse an admin token signed with another key', async () => {
      expectHeketiError(
        await callAs('/volumes', { key: 'not the admin key' }),
        401,
        'Invalid JWT token: signature is invalid (client and server secrets may not match)',
      );
    });

    it('should refuse a user token signed with the admin key', async () => {
      expectHeketiError(
        await callAs('/volumes', { issuer: 'user', key: ADMIN_KEY }),
        401,
        'Invalid JWT token: signature is invalid (client and server secrets may not match)',
      );
    });

    it('should refuse an admin token signed with the user key', async () => {
      expectHeketiError(
        await callAs('/volumes', { issuer: 'admin', key: USER_KEY }),
        401,
        'Invalid JWT token: signature is invalid (client and server secrets may not match)',
      );
    });
  });

  describe('exp', () => {
    it('should refuse an expired token and say by how much', async () => {
      expectHeketiError(await callAs('/volumes', { exp: -10 }), 401, 'Invalid JWT token: Token is expired by 10s');
    });

    it('should accept a token in its last second (valid while now <= exp)', async () => {
      const answer = await callAs('/volumes', { exp: 0 });

      expect({ body: answer.body, status: answer.status }).toEqual({ body: 'list as admin', status: 200 });
    });

    it('should refuse a token one second past exp', async () => {
      expectHeketiError(await callAs('/volumes', { exp: -1 }), 401, 'Invalid JWT token: Token is expired by 1s');
    });

    it('should refuse a token without exp', async () => {
      const answer = await callAs('/volumes', { exp: null });

      expect(answer.status).toBe(401);
      expect(answer.body).toMatch(/^Invalid JWT token: .+\n$/);
    });

    it('should refuse a token whose exp is not a number', async () => {
      const signed = signRaw(claimsAt('GET', '/volumes', { exp: String(NOW + 300) }), ADMIN_KEY);
      const answer = await call('/volumes', `bearer ${signed}`);

      expect(answer.status).toBe(401);
      expect(answer.body).toMatch(/^Invalid JWT token: .+\n$/);
    });
  });

  describe('iat', () => {
    it('should refuse a token issued further in the future than the leeway (120 s)', async () => {
      expectHeketiError(
        await callAs('/volumes', { iat: 121 }),
        401,
        'Invalid JWT token: Token used before issued (client and server clocks may differ)',
      );
    });

    it.each([
      ['at the edge of the leeway', 120],
      ['a little in the future', 30],
      ['now', 0],
      ['an hour ago', -3600],
    ])('should accept a token issued %s', async (_case, iat) => {
      expect((await callAs('/volumes', { iat })).status).toBe(200);
    });

    it('should accept a token without iat', async () => {
      expect((await callAs('/volumes', { iat: null })).status).toBe(200);
    });
  });

  describe('nbf', () => {
    it('should refuse a token that is not valid yet', async () => {
      expectHeketiError(
        await callAs('/volumes', { claims: { nbf: NOW + 10 } }),
        401,
        'Invalid JWT token: Token is not valid yet',
      );
    });

    it('should accept a token whose nbf is now', async () => {
      expect((await callAs('/volumes', { claims: { nbf: NOW } })).status).toBe(200);
    });
  });

  describe('qsh', () => {
    it('should refuse a token whose qsh is wrong', async () => {
      expectHeketiError(await callAs('/volumes', { qsh: 'deadbeef' }), 401, 'Invalid qsh claim in token');
    });

    it('should refuse a token without qsh', async () => {
      expectHeketiError(await callAs('/volumes', { claims: { qsh: undefined } }), 401, 'Invalid qsh claim in token');
    });

    it('should refuse a token signed for another path', async () => {
      const header = `bearer ${token({ method: 'GET', path: '/volumes/abc' })}`;

      expectHeketiError(await call('/volumes/abd', header), 401, 'Invalid qsh claim in token');
    });

    it('should refuse a token signed for another method', async () => {
      const header = `bearer ${token({ method: 'GET', path: '/volumes' })}`;

      expectHeketiError(await call('/volumes', header, 'POST'), 401, 'Invalid qsh claim in token');
    });

    it('should leave the query string out of the hash', async () => {
      const header = `bearer ${token({ method: 'GET', path: '/volumes/abc' })}`;
      const answer = await call('/volumes/abc?verbose=1&x=%20', header);

      expect({ body: answer.body, status: answer.status }).toEqual({ body: 'info abc as admin', status: 200 });
    });

    it('should refuse a token whose qsh covers the query string', async () => {
      const header = `bearer ${token({ method: 'GET', path: '/volumes/abc?verbose=1' })}`;

      expectHeketiError(await call('/volumes/abc?verbose=1', header), 401, 'Invalid qsh claim in token');
    });

    it('should hash the percent-decoded path, as the Go client does', async () => {
      const header = `bearer ${token({ method: 'GET', path: '/volumes/abc' })}`;
      const answer = await call('/volumes/a%62c', header);

      expect({ body: answer.body, status: answer.status }).toEqual({ body: 'info abc as admin', status: 200 });
    });

    it('should accept a token built like the contract example (§3.3) at its own time', async () => {
      // iat 1700000000, exp 1700000300, iss admin; signed by hand with our admin key.
      const example = signRaw(claimsAt('GET', '/volumes/abc'), ADMIN_KEY);

      expect((await call('/volumes/abc', `bearer ${example}`)).status).toBe(200);
    });
  });

  describe('roles', () => {
    it.each([
      ['GET', '/volumes', 'list as user'],
      ['POST', '/volumes', 'create as user'],
    ])('should let the user issuer %s %s', async (method, path, body) => {
      const answer = await callAs(path, { issuer: 'user', key: USER_KEY, method });

      expect({ body: answer.body, status: answer.status }).toEqual({ body, status: 200 });
    });

    it.each(['/volumes/abc', `/queue/${QUEUE_ID}`])(
      'should refuse the user issuer on the admin route %s',
      async (path) => {
        expectHeketiError(await callAs(path, { issuer: 'user', key: USER_KEY }), 401, 'Administrator access required');
      },
    );

    it.each([
      ['/volumes', 'list as admin'],
      ['/volumes/abc', 'info abc as admin'],
      [`/queue/${QUEUE_ID}`, `poll ${QUEUE_ID} as admin`],
    ])('should let the admin issuer GET %s', async (path, body) => {
      const answer = await callAs(path);

      expect({ body: answer.body, status: answer.status }).toEqual({ body, status: 200 });
    });
  });

  describe('unknown paths', () => {
    it('should authenticate before routing: no token is a 401', async () => {
      expectHeketiError(await call('/topology'), 401, 'Required authorization token not found');
    });

    it('should answer 404 to an admin for a path that does not exist', async () => {
      expectHeketiError(await callAs('/topology'), 404, 'Invalid path or request');
    });
  });
});

describe(HeketiJwtStrategy.name, () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('should accept the exact token of the contract example (§3.3) with key "My Secret"', async () => {
    const example = [
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
      'eyJleHAiOjE3MDAwMDAzMDAsImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoiYWRtaW4iLCJxc2giOiJmMGVkZDUxNTY5OTVjMGIyNDUxNjAzOTY1NGQyYzI0YTkwM2M3YjE0ZThjYzA0NGJkYmFiZTE3MmYxOWYyZDk3In0',
      'OinMV4DGokvFGk2OmczvG7wBukNAYyhMFNwMJug4_bM',
    ].join('.');
    const { app, baseUrl } = await listenTestingApp({
      controllers: [SpecController],
      imports: [AuthModule, ConfigModule.forRoot(appConfig({ HEKETI_ADMIN_KEY: 'My Secret' }))],
      providers: [{ provide: APP_FILTER, useClass: HeketiExceptionFilter }],
    });
    try {
      vi.useFakeTimers({ now: (NOW + 60) * 1000, toFake: ['Date'] });
      const response = await fetch(`${baseUrl}/volumes/abc`, { headers: { Authorization: `bearer ${example}` } });

      expect({ body: await response.text(), status: response.status }).toEqual({
        body: 'info abc as admin',
        status: 200,
      });
    } finally {
      await app.close();
    }
  });

  it('should answer Unknown user for the user issuer when no user key is configured', async () => {
    const config = appConfig({ HEKETI_USER_KEY: '' });
    const { app, baseUrl } = await listenTestingApp({
      controllers: [SpecController],
      imports: [AuthModule, ConfigModule.forRoot(config)],
      providers: [{ provide: APP_FILTER, useClass: HeketiExceptionFilter }],
    });
    try {
      const signed = heketiToken({ issuer: 'user', key: 'anything', method: 'GET', path: '/volumes' });
      const response = await fetch(`${baseUrl}/volumes`, { headers: { Authorization: `bearer ${signed}` } });

      expect({ body: await response.text(), status: response.status }).toEqual({
        body: 'Invalid JWT token: Unknown user\n',
        status: 401,
      });
    } finally {
      await app.close();
    }
  });
});
