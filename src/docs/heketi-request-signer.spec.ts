import jwt from 'jsonwebtoken';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { computeQsh } from '../common/qsh.js';
import { HEKETI_UI_SCHEME, heketiRequestInterceptor, SwaggerUiRequest } from './heketi-request-signer.js';

/** Swagger UI's auth state as the interceptor reads it: an Immutable map, here a stand-in. */
function authorizeAs(username: string, password: string): void {
  const state: Record<string, unknown> = { [HEKETI_UI_SCHEME]: { value: { toJS: () => ({ password, username }) } } };
  const getIn = (path: string[]): unknown =>
    path.reduce<unknown>((node, step) => (node as Record<string, unknown> | undefined)?.[step], state);
  (globalThis as Record<string, unknown>).ui = { authSelectors: { authorized: () => ({ getIn }) } };
}

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

function request(method: string, url: string, authorization?: string): SwaggerUiRequest {
  return {
    headers:
      authorization === undefined
        ? { Accept: 'application/json' }
        : { Accept: 'application/json', Authorization: authorization },
    method,
    url,
  };
}

describe('heketiRequestInterceptor (Swagger UI, runs in the page)', () => {
  beforeEach(() => authorizeAs('admin', 'My Secret'));

  afterEach(() => {
    vi.useRealTimers();
    const page = globalThis as Record<string, unknown>;
    delete page.ui;
    delete page.isSecureContext;
  });

  it("should sign exactly the token of the contract's worked example (GET /volumes/abc)", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const signed = await heketiRequestInterceptor(
      request('get', 'http://127.0.0.1:8080/volumes/abc', basic('admin', 'My Secret')),
    );
    expect(signed.headers).toEqual({
      Accept: 'application/json',
      Authorization:
        'bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
        'eyJleHAiOjE3MDAwMDAzMDAsImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoiYWRtaW4iLCJxc2giOiJmMGVkZDUxNTY5OTVjMGIyNDUxNjAzOTY1NGQyYzI0YTkwM2M3YjE0ZThjYzA0NGJkYmFiZTE3MmYxOWYyZDk3In0.' +
        'OinMV4DGokvFGk2OmczvG7wBukNAYyhMFNwMJug4_bM',
    });
  });

  it('should bind the token to the decoded path without the query, as the server checks it', async () => {
    authorizeAs('user', 'the user key');
    const signed = await heketiRequestInterceptor(
      request('POST', 'http://127.0.0.1:8080/volumes/a%62c/expand?x=1&y=%2F', basic('user', 'the user key')),
    );
    const token = /^bearer (\S+)$/.exec(signed.headers!.Authorization)![1];
    const claims = jwt.verify(token, 'the user key', { algorithms: ['HS256'] }) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: 'user', qsh: computeQsh('POST', '/volumes/abc/expand') });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('should take the credentials from the auth state and never send the Basic header', async () => {
    const signed = await heketiRequestInterceptor(
      request('GET', 'http://127.0.0.1:8080/clusters', 'basic aWdub3JlZDppZ25vcmVk'),
    );
    expect(Object.keys(signed.headers!).filter((name) => name.toLowerCase() === 'authorization')).toEqual([
      'Authorization',
    ]);
    expect(signed.userFetch).toBeUndefined();
    const token = signed.headers!.Authorization.slice('bearer '.length);
    expect(jwt.verify(token, 'My Secret')).toMatchObject({ iss: 'admin', qsh: computeQsh('GET', '/clusters') });
  });

  it('should leave requests without a Basic header alone (public routes, not authorized, the spec itself)', async () => {
    for (const authorization of [undefined, 'bearer abc.def.ghi']) {
      const original = request('GET', 'http://127.0.0.1:8080/hello', authorization);
      const copy = structuredClone(original);
      const passed = await heketiRequestInterceptor(original);
      expect(passed).toEqual(copy);
      expect(passed.userFetch).toBeUndefined();
    }
  });

  it('should not send the request where the browser gives no WebCrypto (plain HTTP from a remote host), and say why and what to do', async () => {
    (globalThis as Record<string, unknown>).isSecureContext = false;
    const signed = await heketiRequestInterceptor(
      request('GET', 'http://10.0.0.1:8080/clusters', basic('admin', 'My Secret')),
    );
    expect(signed.headers).toEqual({ Accept: 'application/json' });
    const failure = await signed.userFetch!(signed.url, signed).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'Heketi JWT' });
    expect((failure as Error).message).toMatch(
      /secure contexts.*HTTPS.*PIRAGUA_TLS_CERT.*http:\/\/127\.0\.0\.1 or http:\/\/localhost.*not sent/s,
    );
  });

  it('should not send the request, and ask to authorize, when the auth state has no issuer or key', async () => {
    delete (globalThis as Record<string, unknown>).ui;
    const signed = await heketiRequestInterceptor(
      request('GET', 'http://127.0.0.1:8080/clusters', basic('admin', 'x')),
    );
    expect(signed.headers).toEqual({ Accept: 'application/json' });
    await expect(signed.userFetch!(signed.url, signed)).rejects.toThrow(/click Authorize/);
  });

  it('should work from its source alone, as @nestjs/swagger serializes it into swagger-ui-init.js', async () => {
    const source = heketiRequestInterceptor.toString();
    expect(source).toMatch(new RegExp(`getIn\\(\\[\\s*'${HEKETI_UI_SCHEME}',\\s*'value'\\s*\\]\\)`));
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating the serialized source is the point
    const serialized = new Function(`return (${source});`)() as typeof heketiRequestInterceptor;
    const signed = await serialized(request('GET', 'http://127.0.0.1:8080/clusters', basic('admin', 'My Secret')));
    expect(jwt.verify(signed.headers!.Authorization.slice('bearer '.length), 'My Secret')).toMatchObject({
      qsh: computeQsh('GET', '/clusters'),
    });
  });
});
