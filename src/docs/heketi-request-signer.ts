/**
 * Swagger UI's "Try it out" with Heketi's per-request tokens.
 *
 * A Heketi JWT is bound to one method and path (its `qsh` claim), so no static bearer token can
 * authorize the page. Instead the OpenAPI document declares an HTTP Basic scheme (named
 * {@link HEKETI_UI_SCHEME}) whose username is the JWT issuer and whose password is its key: the
 * Authorize dialog collects them, and {@link heketiRequestInterceptor}, Swagger UI's
 * `requestInterceptor`, signs a fresh HS256 token for each request in the browser and sends it as
 * `Authorization: bearer <jwt>` in place of the Basic header. The key never leaves the page.
 */

/** The security scheme's name: the interceptor reads the issuer and key under it in Swagger UI's auth state. */
export const HEKETI_UI_SCHEME = 'heketi';

export const HEKETI_UI_SCHEME_DESCRIPTION =
  'For Swagger UI only: username = JWT issuer (`admin` or `user`), password = its key. ' +
  "The page signs a Heketi JWT per request (HS256, `qsh` of that request's method and path, 5 minutes) " +
  'and sends it as `Authorization: bearer <jwt>`; the key never leaves the browser. ' +
  'The server itself accepts only Heketi JWTs (a Basic header gets `400`). ' +
  'Signing needs WebCrypto, which browsers give only to secure contexts: open this page over HTTPS ' +
  '(`PIRAGUA_TLS_CERT`/`PIRAGUA_TLS_KEY`) or at http://127.0.0.1 / http://localhost (e.g. through an SSH tunnel).';

/** The part of Swagger UI's request object the interceptor touches. */
export interface SwaggerUiRequest {
  headers?: Record<string, string>;
  method?: string;
  url: string;
  /** swagger-client calls this instead of `fetch` when it is set. */
  userFetch?: (url: string, init: unknown) => Promise<unknown>;
}

/** What the interceptor uses from the page: `window.ui` (set by @nestjs/swagger's init script) and WebCrypto. */
interface PageGlobals {
  crypto?: { subtle?: SubtleCryptoLike };
  isSecureContext?: boolean;
  location?: { href: string };
  ui?: { authSelectors?: { authorized?: () => ImmutableLike | undefined } };
}

interface ImmutableLike {
  getIn(path: string[]): unknown;
}

interface SubtleCryptoLike {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  importKey(
    format: 'raw',
    key: Uint8Array,
    algorithm: { hash: string; name: string },
    extractable: boolean,
    usages: string[],
  ): Promise<unknown>;
  sign(algorithm: string, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}

/**
 * Swagger UI's `requestInterceptor`. It runs IN THE BROWSER: @nestjs/swagger serializes it with
 * `Function.prototype.toString()` into `swagger-ui-init.js`, so it must use nothing but its
 * parameter and page globals (no imports, no module-level names, no helpers a compiler might add).
 *
 * Only requests that Swagger UI gave a Basic header (a protected operation, after Authorize) are
 * changed; anything else goes out as it is. When no token can be signed the request is not sent
 * and its response panel shows why.
 */
export async function heketiRequestInterceptor<T extends SwaggerUiRequest>(request: T): Promise<T> {
  const headers = request.headers ?? {};
  request.headers = headers;
  const headerName = Object.keys(headers).find((name) => name.toLowerCase() === 'authorization');
  if (headerName === undefined || !/^\s*basic\s/i.test(headers[headerName] ?? '')) {
    return request;
  }
  // The Basic header carries the key: it must never be sent, whatever happens below.
  delete headers[headerName];
  const page = globalThis as unknown as PageGlobals;

  const sign = async (): Promise<string> => {
    const subtle = page.crypto?.subtle;
    if (page.isSecureContext === false || subtle === undefined) {
      throw new Error(
        'cannot sign a token on this page. Browsers offer WebCrypto (`crypto.subtle`) only to secure contexts, ' +
          'and this page was loaded over plain HTTP from a host other than 127.0.0.1 or localhost. ' +
          'Serve piragua over HTTPS (`PIRAGUA_TLS_CERT` and `PIRAGUA_TLS_KEY`), or open it as http://127.0.0.1 or http://localhost, ' +
          'e.g. through an SSH tunnel (`ssh -L 8080:127.0.0.1:8080 <host>`). The request was not sent.',
      );
    }
    const stored = page.ui?.authSelectors?.authorized?.()?.getIn(['heketi', 'value']) as
      { password?: unknown; toJS?: () => unknown; username?: unknown } | undefined;
    const credentials = (typeof stored?.toJS === 'function' ? stored.toJS() : stored) as
      { password?: unknown; username?: unknown } | undefined;
    const issuer = typeof credentials?.username === 'string' ? credentials.username.trim() : '';
    const key = typeof credentials?.password === 'string' ? credentials.password : '';
    if (issuer === '' || key === '') {
      throw new Error(
        'click Authorize and enter the issuer (`admin` or `user`) as username and its key as password. The request was not sent.',
      );
    }

    const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
    const base64url = (bytes: Uint8Array): string => {
      let binary = '';
      for (const byte of bytes) {
        binary += String.fromCharCode(byte);
      }
      return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    };
    const segment = (value: object): string => base64url(utf8(JSON.stringify(value)));

    // qsh covers the method and the decoded path, without the query, as the server (and heketi's Go client) hash it.
    // new URL() normalizes the path as fetch will before sending it.
    const method = (request.method ?? 'GET').toUpperCase();
    const rawPath = new URL(request.url, page.location?.href).pathname;
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // A malformed escape: the server hashes such a path as it is, too.
    }
    const digest = new Uint8Array(await subtle.digest('SHA-256', utf8(`${method}&${path}`)));
    const qsh = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');

    const now = Math.floor(Date.now() / 1000);
    const signingInput = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment({ exp: now + 300, iat: now, iss: issuer, qsh })}`;
    const hmacKey = await subtle.importKey('raw', utf8(key), { hash: 'SHA-256', name: 'HMAC' }, false, ['sign']);
    const signature = new Uint8Array(await subtle.sign('HMAC', hmacKey, utf8(signingInput)));
    return `${signingInput}.${base64url(signature)}`;
  };

  try {
    headers.Authorization = `bearer ${await sign()}`;
  } catch (error) {
    // Rejecting here would leave Swagger UI with no request to show (its response panel fails to
    // render); failing the fetch instead makes the panel show this message as the response.
    const failure = new Error(error instanceof Error ? error.message : String(error));
    failure.name = 'Heketi JWT';
    request.userFetch = () => Promise.reject(failure);
  }
  return request;
}
