import fc from 'fast-check';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, realpathSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeQsh, requestPathForQsh } from '../../src/common/qsh.js';
import { MAX_SIZE_GIB } from '../../src/volumes/volume-request.rules.js';
import { heketiToken } from '../factories/heketi-token.factory.js';
import { HeketiClient } from '../heketi-client.js';
import { LEVEL, parseLogLines } from '../log-lines.js';
import { ADMIN_KEY, PiraguaProcess, USER_KEY } from '../piragua-process.js';
import { treeSnapshot } from '../tree-snapshot.js';

/**
 * Thousands of seeded, malformed requests against the built service. Every one must be refused with
 * a 4xx that leaks nothing, and none may change the data directory or bring the service down.
 * A failure prints fast-check's seed; PIRAGUA_FUZZ_SEED=<seed> replays it (or tries other inputs).
 */
const SEED = Number(process.env.PIRAGUA_FUZZ_SEED ?? 20_260_611);
const RUNS_PER_PROPERTY = 1000;
/** Each property stops early past this, so the file stays well under a minute on a slow machine. */
const TIME_LIMIT_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client: fetch and node:http refuse most of what we want to send (raw bytes in the
// path, invalid methods, control characters in headers), so requests are written to a socket.

interface Wire {
  body?: Uint8Array;
  headers: [string, string][];
  method: string;
  target: string;
}

interface Reply {
  body: string;
  error?: string;
  head: string;
  status: number;
}

/** Stands for that many 60-byte headers (more than Node accepts: 431), so counterexamples stay short. */
const PADDING_HEADER = 'X-Fuzz-Padding';

function send(port: number, wire: Wire, timeoutMs = 10_000): Promise<Reply> {
  const body = Buffer.from(wire.body ?? []);
  const headers = wire.headers.flatMap(([name, value]): [string, string][] =>
    name === PADDING_HEADER
      ? Array.from({ length: Number(value) }, (_, i) => [`x-fuzz-${i}`, 'v'.repeat(60)])
      : [[name, value]],
  );
  const head = Buffer.concat([
    Buffer.from(`${wire.method} ${wire.target} HTTP/1.1\r\n`, 'utf8'),
    Buffer.from(
      [
        `Host: 127.0.0.1:${port}`,
        'Connection: close',
        ...headers.map(([name, value]) => `${name}: ${value}`),
        `Content-Length: ${body.length}`,
        '',
        '',
      ].join('\r\n'),
      'latin1',
    ),
  ]);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let socketError: string | undefined;
    let settled = false;
    const finish = (reply: Reply) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }
    };
    const timer = setTimeout(
      () => finish({ body: '', error: 'timeout', head: received.toString('latin1'), status: 0 }),
      timeoutMs,
    );
    const parse = (closed: boolean) => {
      for (;;) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) {
          if (closed) {
            finish({
              body: '',
              error: socketError ?? 'closed before a response',
              head: received.toString('latin1'),
              status: 0,
            });
          }
          return;
        }
        const responseHead = received.subarray(0, end).toString('latin1');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(responseHead)?.[1] ?? 0);
        if (status >= 100 && status < 200) {
          // e.g. "100 Continue" for an Expect header; the real answer follows.
          received = received.subarray(end + 4);
          continue;
        }
        const rest = received.subarray(end + 4);
        const length = /\r\ncontent-length: *(\d+)/i.exec(responseHead);
        if (wire.method === 'HEAD' || status === 204 || status === 304) {
          finish({ body: '', head: responseHead, status });
        } else if (length && rest.length >= Number(length[1])) {
          finish({ body: rest.subarray(0, Number(length[1])).toString('utf8'), head: responseHead, status });
        } else if (closed) {
          finish({ body: rest.toString('utf8'), head: responseHead, status });
        }
        return;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      parse(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (socketError = error.code ?? error.message));
    socket.on('close', () => parse(true));
    socket.write(Buffer.concat([head, body]));
  });
}

// ---------------------------------------------------------------------------------------------
// Building blocks shared by the properties.

/** The `user` issuer may only call these two (contract §3.1). */
const USER_ROUTES = new Set(['GET /volumes', 'POST /volumes']);

/** Headers that would change how the exchange is framed (and could hang the client), or that the test sets itself. */
const FRAMING_HEADERS = new Set([
  'connection',
  'content-length',
  'host',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'proxy-connection',
  'authorization',
]);

const headerName = fc
  .stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$/)
  .filter((name) => !FRAMING_HEADERS.has(name.toLowerCase()));
const headerValue = fc.oneof(
  { arbitrary: fc.string({ maxLength: 200 }), weight: 6 },
  { arbitrary: fc.string({ maxLength: 50, unit: 'binary-ascii' }), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-16',
      'text/plain; charset=latin1',
      'gzip',
      'deflate',
      'br',
      '../../etc/passwd',
      '${jndi:ldap://x/a}',
      '\u00ff'.repeat(100),
    ),
    weight: 2,
  },
);
/** Random headers, and now and then a special one that the server must still answer with a 4xx. */
const extraHeaders = fc
  .tuple(
    fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }),
    fc.option(
      fc.constantFrom<[string, string]>(
        ['Content-Encoding', 'gzip'],
        ['Content-Encoding', 'deflate'],
        ['Content-Encoding', 'br'],
        ['Content-Encoding', 'x-unknown'],
        ['Content-Type', 'application/json; charset=utf-32'],
        ['Content-Type', 'application/json; charset=koi8-r'],
        ['Content-Length', 'abc'],
        ['Content-Length', '-1'],
        ['Transfer-Encoding', 'chunked'],
        ['Expect', 'the-unexpected'],
        ['X-HTTP-Method-Override', 'DELETE'],
        ['X-Forwarded-For', '127.0.0.1'],
        ['X-Original-URL', '/volumes'],
        ['Cookie', 'a='.repeat(3000)],
      ),
      { nil: undefined },
    ),
    fc.nat({ max: 20 }),
  )
  .map(([headers, special, many]) => [
    ...headers,
    ...(special ? [special] : []),
    // Now and then more header bytes than Node accepts (431).
    ...(many === 20 ? [[PADDING_HEADER, '400'] as [string, string]] : []),
  ]);

/** Go's json.Unmarshal (and the body parser) match keys case-insensitively; the last duplicate wins. */
function parseLikeTheServer(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes).toString('utf8'), (_key, value: unknown) =>
    value === null || typeof value !== 'object' || Array.isArray(value)
      ? value
      : Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.toLowerCase(), inner])),
  );
}

/** True when the body might be a valid create or expand: such a request could rightly get a 202. */
function mightBeValid(bytes: Uint8Array, field: 'size' | 'expand_size'): boolean {
  let parsed: unknown;
  try {
    parsed = parseLikeTheServer(bytes);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return false;
  }
  const size = (parsed as Record<string, unknown>)[field];
  return typeof size === 'number' && Number.isInteger(size) && size >= 1 && size <= MAX_SIZE_GIB;
}

const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'));

/** A request body that fast-check prints as a short preview: counterexamples of 60 KiB are unreadable. */
class Body {
  constructor(readonly bytes: Uint8Array) {}

  [fc.toStringMethod](): string {
    const text = JSON.stringify(Buffer.from(this.bytes).toString('latin1'));
    return `Body(${this.bytes.length} bytes: ${text.length > 160 ? `${text.slice(0, 100)}…${text.slice(-50)}` : text})`;
  }
}

/** Sizes that are never a valid request: wrong types, fractions, zero, negatives, and integers past 8 PiB. */
const invalidSize = fc.oneof(
  fc.constantFrom<unknown>(
    0,
    -1,
    -0,
    0.5,
    1.5,
    1e15,
    1e300,
    2 ** 53,
    2 ** 63,
    -1e308,
    '1',
    '',
    ' 1',
    'NaN',
    '1e3',
    null,
    true,
    false,
    [],
    [1],
    {},
    { value: 1 },
  ),
  fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d) || d < 1 || d > MAX_SIZE_GIB),
  fc.integer({ max: 0 }),
  fc.string(),
);
/** Keys that have hurt JavaScript services before, plus Heketi's own in odd cases. */
const suspiciousKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'SIZE',
  'Size',
  'Expand_Size',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'then',
  'length',
  '',
);
const junkValue = fc.jsonValue({ maxDepth: 4 });
const junkFields = fc.dictionary(fc.oneof(suspiciousKey, fc.string({ maxLength: 20 })), junkValue, { maxKeys: 5 });
const nameValue = fc.oneof(
  fc.string({ maxLength: 60, unit: 'binary' }),
  fc.constantFrom(
    '..',
    '../../etc',
    '/etc/passwd',
    'a/b',
    '.',
    '',
    '%2e%2e',
    'vol\u0000x',
    'heketidbstorage',
    'a'.repeat(201),
    '\u202etxt.exe',
    'CON',
    'x'.repeat(5000),
  ),
);
const createFields = fc.record(
  {
    clusters: fc.oneof(
      fc.array(fc.oneof(fc.string(), fc.constantFrom('00000000000000000000000000000000', '../..'), junkValue), {
        maxLength: 4,
      }),
      junkValue,
    ),
    durability: fc.oneof(
      junkValue,
      fc.record(
        {
          type: fc.oneof(fc.constantFrom('none', 'replicate', 'disperse', 'mirror', ''), junkValue),
          replicate: fc.oneof(junkValue, fc.record({ replica: junkValue })),
          disperse: fc.oneof(junkValue, fc.record({ data: junkValue, redundancy: junkValue })),
        },
        { requiredKeys: [] },
      ),
    ),
    gid: fc.oneof(fc.integer(), fc.constantFrom(-1, 2 ** 31, 2 ** 32, 1e20, 0.5), junkValue),
    glustervolumeoptions: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), junkValue),
    name: nameValue,
    snapshot: fc.oneof(
      junkValue,
      fc.record({ enable: junkValue, factor: fc.oneof(fc.double(), junkValue) }, { requiredKeys: [] }),
    ),
    block: fc.oneof(fc.boolean(), junkValue),
  },
  { requiredKeys: [] },
);

/** Every kind of body the properties send; `field` picks the size field that must stay invalid. */
function garbageBody(field: 'size' | 'expand_size'): fc.Arbitrary<Body> {
  // A huge but well-typed size passes the type checks, so the other rules (name, gid, durability…) run too.
  const objectBody = fc
    .tuple(
      fc.option(
        fc.oneof(
          { arbitrary: invalidSize, weight: 3 },
          { arbitrary: fc.constantFrom(1e15, 2 ** 53, MAX_SIZE_GIB + 1), weight: 2 },
        ),
        { nil: undefined },
      ),
      createFields,
      junkFields,
    )
    .map(([size, fields, extra]) =>
      encode({ ...extra, ...(field === 'size' ? fields : {}), ...(size === undefined ? {} : { [field]: size }) }),
    );
  const deepNesting = fc
    .tuple(fc.integer({ min: 1, max: 9000 }), fc.constantFrom('[', '{"a":', '{"__proto__":'), fc.boolean())
    .map(([depth, open, wrapped]) => {
      const close = open === '[' ? ']' : '}';
      const deep = `${open.repeat(depth)}1${close.repeat(depth)}`;
      return encode(wrapped ? `{"${field}":-1,"durability":${deep}}` : deep);
    });
  const hugeNumbers = fc
    .constantFrom(
      '1e999',
      '-1e999',
      '123456789012345678901234567890',
      '0.0000000000000000000000001',
      '-0',
      '1e-400',
      '9007199254740993',
      '0x10',
      '1_000',
      'Infinity',
      'NaN',
    )
    .map((number) => encode(`{"${field}":${number}}`));
  const invalidUtf8 = fc
    .tuple(
      objectBody,
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.constantFrom(
            [0xff],
            [0xfe, 0xff],
            [0xc0, 0xaf],
            [0xed, 0xa0, 0x80],
            [0xf4, 0x90, 0x80, 0x80],
            [0x80],
            [0xe2, 0x82],
          ),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([text, injections]) => {
      const bytes = [...text];
      for (const [position, sequence] of injections) {
        bytes.splice(position % (bytes.length + 1), 0, ...sequence);
      }
      return Uint8Array.from(bytes);
    });
  return fc
    .oneof(
      { arbitrary: objectBody, weight: 6 },
      { arbitrary: junkValue.map(encode), weight: 2 },
      { arbitrary: fc.string({ maxLength: 300, unit: 'binary' }).map(encode), weight: 2 },
      { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 2 },
      { arbitrary: deepNesting, weight: 1 },
      { arbitrary: hugeNumbers, weight: 1 },
      { arbitrary: invalidUtf8, weight: 2 },
      {
        arbitrary: fc
          .integer({ min: 65 * 1024, max: 200 * 1024 })
          .map((n) => encode(`{"${field}":-1,"pad":"${'x'.repeat(n)}"}`)),
        weight: 1,
      },
      {
        arbitrary: fc
          .constantFrom('', ' ', 'null', '[]', '""', '{', '}', '{"size":1', '\u0000', '\ufeff{}')
          .map(encode),
        weight: 1,
      },
      // Prototype pollution: Go ignores these keys, so none of them may supply a size.
      {
        arbitrary: fc
          .constantFrom(
            `{"__proto__":{"${field}":1}}`,
            `{"constructor":{"prototype":{"${field}":1}}}`,
            `{"${field}":-1,"__proto__":{"polluted":true}}`,
            `{"durability":{"__proto__":{"type":"replicate"}},"${field}":0}`,
          )
          .map(encode),
        weight: 1,
      },
    )
    .filter((bytes) => !mightBeValid(bytes, field))
    .map((bytes) => new Body(bytes));
}

// ---------------------------------------------------------------------------------------------
// JWT forgeries. Each is data (so fast-check can print and shrink it), turned into a token at send
// time so that exp/iat are relative to the clock of the moment.

interface Target {
  body?: unknown;
  method: string;
  path: string;
}

type Forgery =
  | { kind: 'alg-none'; alg: string; signature: string }
  | { kind: 'asymmetric'; alg: 'RS256' | 'PS256' | 'ES256' }
  | { kind: 'hmac-with-public-key'; alg: 'HS256' | 'RS256' }
  | { kind: 'wrong-key'; alg: 'HS256' | 'HS384' | 'HS512'; key: string }
  | { kind: 'swapped-key'; issuer: 'admin' | 'user' }
  | { kind: 'bad-exp'; exp: unknown }
  | { kind: 'future-iat'; iat: unknown }
  | { kind: 'future-nbf'; seconds: number }
  | { kind: 'bad-qsh'; qsh: unknown }
  | { kind: 'other-request'; method: string; path: string }
  | { kind: 'oversize'; bytes: number }
  | { kind: 'garbage'; token: string }
  | { kind: 'user-on-admin-route' }
  | { kind: 'bad-issuer'; iss: unknown }
  | { kind: 'tampered'; part: 'header' | 'payload' | 'signature' }
  | { kind: 'bad-scheme'; template: string }
  | { kind: 'duplicate-header' };

const forgery: fc.Arbitrary<Forgery> = fc.oneof(
  fc.record({
    kind: fc.constant('alg-none' as const),
    alg: fc.constantFrom('none', 'None', 'NONE', 'nOnE', ''),
    signature: fc.constantFrom('', 'e30', 'AAAA'),
  }),
  fc.record({
    kind: fc.constant('asymmetric' as const),
    alg: fc.constantFrom('RS256' as const, 'PS256' as const, 'ES256' as const),
  }),
  fc.record({
    kind: fc.constant('hmac-with-public-key' as const),
    alg: fc.constantFrom('HS256' as const, 'RS256' as const),
  }),
  fc
    .record({
      kind: fc.constant('wrong-key' as const),
      alg: fc.constantFrom('HS256' as const, 'HS384' as const, 'HS512' as const),
      key: fc.oneof(fc.string(), fc.constantFrom('', 'admin', 'secret', `${ADMIN_KEY} `, ADMIN_KEY.toUpperCase())),
    })
    .filter((f) => f.key !== ADMIN_KEY),
  fc.record({ kind: fc.constant('swapped-key' as const), issuer: fc.constantFrom('admin' as const, 'user' as const) }),
  fc.record({
    kind: fc.constant('bad-exp' as const),
    exp: fc.oneof(
      fc.constant('missing'),
      fc.integer({ min: 1, max: 2e9 }).map((s) => ({ secondsAgo: s })),
      fc.constantFrom<unknown>('9999999999', null, true, [], {}, ''),
    ),
  }),
  fc.record({
    kind: fc.constant('future-iat' as const),
    iat: fc.oneof(
      fc.integer({ min: 125, max: 2e9 }).map((s) => ({ secondsAhead: s })),
      fc.constantFrom<unknown>('0', null, true, [], {}),
    ),
  }),
  fc.record({ kind: fc.constant('future-nbf' as const), seconds: fc.integer({ min: 5, max: 2e9 }) }),
  fc.record({
    kind: fc.constant('bad-qsh' as const),
    qsh: fc.oneof(
      fc.constantFrom<unknown>('missing', 'upper-case', 'with-query', '', null, 0, [], {}),
      fc.stringMatching(/^[0-9a-f]{64}$/),
      fc.string(),
    ),
  }),
  fc.record({
    kind: fc.constant('other-request' as const),
    method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'get'),
    path: fc.constantFrom(
      '/volumes',
      '/clusters',
      '/volumes/',
      '/Volumes',
      '/hello',
      '/queue/0123456789abcdef0123456789abcdef',
    ),
  }),
  fc.record({ kind: fc.constant('oversize' as const), bytes: fc.integer({ min: 8 * 1024, max: 120 * 1024 }) }),
  fc.record({
    kind: fc.constant('garbage' as const),
    token: fc.oneof(
      fc.base64String({ maxLength: 400 }),
      fc
        .array(fc.base64String({ maxLength: 80 }), { maxLength: 5 })
        .map((parts) => parts.join('.').replace(/[+/=]/g, '_')),
      fc.string({ maxLength: 200 }),
      fc.constantFrom(
        '.',
        '..',
        '...',
        'a.b.c',
        'e30.e30.',
        'eyJhbGciOiJIUzI1NiJ9..',
        '%00',
        'null',
        'undefined',
        '\u00ff\u00fe',
      ),
    ),
  }),
  fc.constant({ kind: 'user-on-admin-route' as const }),
  fc.record({
    kind: fc.constant('bad-issuer' as const),
    iss: fc.constantFrom<unknown>(
      'Admin',
      'ADMIN',
      'admin ',
      ' admin',
      'root',
      'user\u0000',
      ['admin'],
      { admin: true },
      1,
      true,
      null,
    ),
  }),
  fc.record({
    kind: fc.constant('tampered' as const),
    part: fc.constantFrom('header' as const, 'payload' as const, 'signature' as const),
  }),
  fc.record({
    kind: fc.constant('bad-scheme' as const),
    template: fc.constantFrom(
      'Basic {t}',
      'bearer {t} extra',
      'Token {t}',
      'bearer',
      'Bearer ',
      'bearer{t}',
      'Bearer: {t}',
      'JWT {t}',
      '{t}',
      'bearer {t} {t}',
    ),
  }),
  fc.constant({ kind: 'duplicate-header' as const }),
);

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** HS-signs whatever header and claims it is given; jsonwebtoken's sign() refuses most of these. */
function signRaw(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: string | Buffer,
  hash = 'sha256',
): string {
  const unsigned = `${b64(header)}.${b64(claims)}`;
  return `${unsigned}.${createHmac(hash, key).update(unsigned).digest('base64url')}`;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPublicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' });

/** The Authorization header values for one forged request; each must be refused. */
function forge(attack: Forgery, target: Target): string[] {
  const now = Math.floor(Date.now() / 1000);
  const qshPath = requestPathForQsh(target.path);
  const good = () => ({ exp: now + 300, iat: now, iss: 'admin', qsh: computeQsh(target.method, qshPath) });
  const valid = () => heketiToken({ key: ADMIN_KEY, method: target.method, path: qshPath });
  const hs256 = { alg: 'HS256', typ: 'JWT' };
  switch (attack.kind) {
    case 'alg-none':
      return [`bearer ${b64({ alg: attack.alg, typ: 'JWT' })}.${b64(good())}.${attack.signature}`];
    case 'asymmetric':
      return [
        `bearer ${jwt.sign(good(), attack.alg === 'ES256' ? ec.privateKey : rsa.privateKey, { algorithm: attack.alg, noTimestamp: true })}`,
      ];
    case 'hmac-with-public-key':
      return [`bearer ${signRaw({ alg: attack.alg, typ: 'JWT' }, good(), rsaPublicPem)}`];
    case 'wrong-key':
      return [
        `bearer ${signRaw({ alg: attack.alg, typ: 'JWT', kid: '../../../dev/null' }, good(), attack.key, `sha${attack.alg.slice(2)}`)}`,
      ];
    case 'swapped-key':
      return [
        `bearer ${heketiToken({ issuer: attack.issuer, key: attack.issuer === 'admin' ? USER_KEY : ADMIN_KEY, method: target.method, path: qshPath })}`,
      ];
    case 'bad-exp': {
      const { exp: _drop, ...claims } = good();
      const exp =
        attack.exp === 'missing'
          ? undefined
          : typeof attack.exp === 'object' && attack.exp !== null && 'secondsAgo' in attack.exp
            ? now - (attack.exp.secondsAgo as number)
            : attack.exp;
      return [`bearer ${signRaw(hs256, exp === undefined ? claims : { ...claims, exp }, ADMIN_KEY)}`];
    }
    case 'future-iat': {
      const iat =
        typeof attack.iat === 'object' && attack.iat !== null && 'secondsAhead' in attack.iat
          ? now + (attack.iat.secondsAhead as number)
          : attack.iat;
      return [`bearer ${signRaw(hs256, { ...good(), iat }, ADMIN_KEY)}`];
    }
    case 'future-nbf':
      return [`bearer ${signRaw(hs256, { ...good(), nbf: now + attack.seconds }, ADMIN_KEY)}`];
    case 'bad-qsh': {
      const right = computeQsh(target.method, qshPath);
      const qsh =
        attack.qsh === 'upper-case'
          ? right.toUpperCase()
          : attack.qsh === 'with-query'
            ? computeQsh(target.method, `${qshPath}?x=1`)
            : attack.qsh === right
              ? `${right}0`
              : attack.qsh;
      const { qsh: _drop, ...claims } = good();
      return [`bearer ${signRaw(hs256, qsh === 'missing' ? claims : { ...claims, qsh }, ADMIN_KEY)}`];
    }
    case 'other-request':
      return [`bearer ${heketiToken({ key: ADMIN_KEY, method: attack.method, path: attack.path })}`];
    case 'oversize':
      return [`bearer ${signRaw(hs256, { ...good(), pad: 'p'.repeat(attack.bytes) }, 'not-the-key')}`];
    case 'garbage':
      return [`bearer ${attack.token}`];
    case 'user-on-admin-route':
      return [`bearer ${heketiToken({ issuer: 'user', key: USER_KEY, method: target.method, path: qshPath })}`];
    case 'bad-issuer':
      return [`bearer ${signRaw(hs256, { ...good(), iss: attack.iss }, ADMIN_KEY)}`];
    case 'tampered': {
      const [header, payload, signature] = valid().split('.') as [string, string, string];
      if (attack.part === 'header') {
        return [`bearer ${b64({ alg: 'HS256', typ: 'JWT', x: 1 })}.${payload}.${signature}`];
      }
      if (attack.part === 'payload') {
        return [`bearer ${header}.${b64({ ...good(), exp: now + 3600 })}.${signature}`];
      }
      // Change a middle character: the last one of a base64url signature may only carry padding bits.
      const middle = Math.floor(signature.length / 2);
      return [
        `bearer ${header}.${payload}.${signature.slice(0, middle)}${signature[middle] === 'A' ? 'B' : 'A'}${signature.slice(middle + 1)}`,
      ];
    }
    case 'bad-scheme':
      return [attack.template.replace('{t}', valid())];
    case 'duplicate-header':
      // Node keeps the first Authorization header: a valid second one must not rescue a forged first one.
      return [`bearer ${signRaw(hs256, good(), 'not-the-key')}`, `bearer ${valid()}`];
  }
}

/** The status each forgery must get: 401 from the JWT rules, 400 for a malformed header, 431 when too large for Node. */
function expectedStatuses(attack: Forgery): number[] {
  switch (attack.kind) {
    case 'bad-scheme':
      return [400];
    case 'oversize':
      return [401, 431];
    case 'garbage':
      return [400, 401];
    default:
      return [401];
  }
}

// ---------------------------------------------------------------------------------------------

describe('Fuzzing the built service with hostile input (fast-check)', () => {
  let server: PiraguaProcess;
  let port: number;
  let dataDir: string;
  let before: string[];
  let existingId: string;
  let clusterId: string;
  /** Every token-like credential sent, to check none of them reaches the log. */
  const sentTokens = new Set<string>();

  /** Heartbeat records are rewritten every few seconds by design; everything else must stay as it was. */
  const snapshot = () =>
    treeSnapshot(dataDir).filter((line) => !line.startsWith(join('local', '.piragua', 'instances')));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'piragua-fuzz-'));
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: dataDir });
    port = Number(new URL(server.url).port);
    const admin = new HeketiClient(server.url, ADMIN_KEY);
    existingId = (await admin.async('POST', '/volumes', { name: 'existing', size: 1 })).final.json().id;
    clusterId = (await admin.request('GET', '/clusters')).json().clusters[0];
    before = snapshot();
  });

  afterAll(async () => {
    await server?.stop();
  });

  function remember(authorization: string): void {
    for (const part of authorization.split(/\s+/)) {
      const token = part.replace(/^(bearer|basic|token|jwt):?/i, '');
      // Short or repetitive "tokens" (e.g. "a.b.c") could appear in any log line by chance.
      if (token.length >= 20 && new Set(token).size >= 8) {
        sentTokens.add(token);
      }
    }
  }

  function expectRefused(reply: Reply, statuses?: number[]): void {
    const context = `${reply.status} ${reply.error ?? ''}\n${reply.head}\n\n${reply.body.slice(0, 500)}`;
    expect(reply.error, context).toBeUndefined();
    if (statuses) {
      expect(statuses, context).toContain(reply.status);
    } else {
      expect(reply.status, context).toBeGreaterThanOrEqual(400);
      expect(reply.status, context).toBeLessThan(500);
    }
    const text = `${reply.head}\r\n\r\n${reply.body}`;
    for (const secret of ['    at ', 'node_modules', dataDir, realpathSync(dataDir), ADMIN_KEY, USER_KEY]) {
      expect(text.includes(secret), `response contains ${JSON.stringify(secret)}:\n${context}`).toBe(false);
    }
  }

  /** Runs one seeded property; returns the statuses seen, so each test can show it reached past Node's parser. */
  async function run<T>(
    name: string,
    arbitrary: fc.Arbitrary<T>,
    check: (value: T) => Promise<Reply>,
  ): Promise<Set<number>> {
    let runs = 0;
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        runs += 1;
        statuses.add((await check(value)).status);
      }),
      { numRuns: RUNS_PER_PROPERTY, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)], seed: SEED },
    );
    // An interrupted property passes; make sure it still did real work.
    expect(runs, `${name}: runs`).toBeGreaterThanOrEqual(RUNS_PER_PROPERTY / 4);
    expect(snapshot(), `${name}: data directory`).toEqual(before);
    return statuses;
  }

  it('should answer random methods, paths and headers with a 4xx', async () => {
    const words = [
      'volumes',
      'clusters',
      'nodes',
      'devices',
      'queue',
      'blockvolumes',
      'expand',
      'clone',
      'block-restriction',
      'flags',
      'state',
      'tags',
      'resync',
      'hello',
      'health',
      'live',
      'ready',
      'operations',
      'pending',
      'cleanup',
      'admin',
      'db',
      'dump',
      'backup',
      'metrics',
      'docs-json',
      'bricks',
      'to-evict',
      'internal',
      'logging',
    ];
    const ids = [existingId, existingId.toUpperCase(), clusterId, '0123456789abcdef0123456789abcdef', 'abc', ''];
    const segment = fc.oneof(
      fc.mixedCase(fc.constantFrom(...words)),
      fc.constantFrom(...ids),
      fc.string({ maxLength: 12 }),
      fc.string({ maxLength: 8, unit: 'grapheme' }),
    );
    // The one segment no route or id can match: it always holds a character outside [A-Za-z0-9].
    const junk = fc
      .tuple(
        fc.string({ maxLength: 6 }),
        fc.constantFrom(
          '..',
          '.',
          '%2e%2e',
          '%2E%2e%2F',
          '%00',
          '%ff',
          '%',
          '%zz',
          '~',
          ';',
          ',',
          '@',
          ':',
          '!',
          '*',
          "'",
          '$',
          '+',
          '=',
          '&',
          '%2f',
          '\\',
          'é',
          '💥',
          '\u202e',
          '\u0000',
          ' ',
          '\t',
          '%20',
          '"',
          '<',
          '>',
          '{',
          '}',
          '|',
          '^',
          '`',
        ),
        fc.string({ maxLength: 6 }),
      )
      .map((parts) => parts.join('').replace(/[?#]/g, '.'));
    const path = fc
      .tuple(
        fc.array(segment, { maxLength: 6 }),
        junk,
        fc.nat(),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        fc.nat({ max: 30 }),
      )
      .map(([segments, bad, at, query, long]) => {
        const parts = segments.map((s) => s.replace(/[?#]/g, '_'));
        parts.splice(at % (parts.length + 1), 0, bad);
        // Static files under /docs could rightly answer a "/docs/a/.." with 200 or 301; /docs gets its own test.
        if ((parts[0] ?? '').toLowerCase().startsWith('docs')) {
          parts[0] = `x${parts[0]}`;
        }
        const padded =
          long === 30
            ? [...parts, 'a'.repeat(20_000)]
            : long === 29
              ? [...parts, ...Array<string>(2000).fill('..')]
              : parts;
        return `/${padded.join('/')}${query === undefined ? '' : `?${query.replace(/#/g, '')}`}`;
      });
    const method = fc.oneof(
      { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'), weight: 8 },
      {
        arbitrary: fc.constantFrom(
          'PROPFIND',
          'MKCOL',
          'COPY',
          'MOVE',
          'LOCK',
          'SEARCH',
          'PURGE',
          'REPORT',
          'get',
          'Get',
          'G\u00c9T',
          'GET\u0000',
          '-',
          'X'.repeat(100),
        ),
        weight: 2,
      },
      { arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/).filter((m) => m !== 'CONNECT' && m !== 'PRI'), weight: 1 },
    );
    const auth = fc.constantFrom('none', 'admin', 'user', 'garbage');
    const request = fc.record({
      auth,
      body: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
      headers: extraHeaders,
      method,
      path,
    });

    const statuses = await run('paths', request, async ({ auth, body, headers, method, path }) => {
      const qshPath = requestPathForQsh(Buffer.from(path, 'utf8').toString('latin1'));
      const authorization =
        auth === 'admin'
          ? `bearer ${heketiToken({ key: ADMIN_KEY, method, path: qshPath })}`
          : auth === 'user'
            ? `bearer ${heketiToken({ issuer: 'user', key: USER_KEY, method, path: qshPath })}`
            : auth === 'garbage'
              ? 'bearer not.a.token'
              : undefined;
      if (authorization) {
        remember(authorization);
      }
      const reply = await send(port, {
        body,
        headers: [...(authorization ? [['Authorization', authorization] as [string, string]] : []), ...headers],
        method,
        target: path,
      });
      expectRefused(reply);
      return reply;
    });
    // Node's own 400 and 431, the anonymous 401, and the app's 404 for paths no route or id matches.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([400, 401, 404, 431]));
  });

  it('should answer garbage bodies with a 4xx and create or change nothing', async () => {
    const routes = [
      { field: 'size' as const, issuer: 'admin', path: '/volumes' },
      { field: 'size' as const, issuer: 'user', path: '/volumes' },
      { field: 'expand_size' as const, issuer: 'admin', path: `/volumes/${existingId}/expand` },
      { field: 'expand_size' as const, issuer: 'admin', path: '/volumes/0123456789abcdef0123456789abcdef/expand' },
    ];
    const request = fc.constantFrom(...routes).chain((route) =>
      fc.record({
        body: garbageBody(route.field),
        headers: extraHeaders,
        method: fc.constant('POST'),
        route: fc.constant(route),
      }),
    );

    const statuses = await run('bodies', request, async ({ body, headers, method, route }) => {
      const authorization = `bearer ${heketiToken({ issuer: route.issuer, key: route.issuer === 'admin' ? ADMIN_KEY : USER_KEY, method, path: route.path })}`;
      remember(authorization);
      const reply = await send(port, {
        body: body.bytes,
        headers: [['Authorization', authorization], ...headers],
        method,
        target: route.path,
      });
      expectRefused(reply);
      return reply;
    });
    // Heketi's validation 400, the 413 of a body too large and the 422 of one that does not parse.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([400, 413, 422]));
  });

  it.each([1200, 2000, 2800, 9000])(
    'should answer a body nested %i levels deep with 422, not a stack overflow',
    async (depth) => {
      const authorization = `bearer ${heketiToken({ key: ADMIN_KEY, method: 'POST', path: '/volumes' })}`;
      for (const deep of [
        `${'['.repeat(depth)}1${']'.repeat(depth)}`,
        `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      ]) {
        const reply = await send(port, {
          body: encode(`{"size":1,"name":"deep","x":${deep}}`),
          headers: [['Authorization', authorization]],
          method: 'POST',
          target: '/volumes',
        });
        expectRefused(reply, [422]);
        expect(reply.body).toBe('request unable to be parsed\n');
      }
      expect(snapshot()).toEqual(before);
    },
  );

  it('should refuse every forged, stale, misdirected or malformed JWT', async () => {
    const targets: Target[] = [
      { method: 'GET', path: '/volumes' },
      { body: { name: 'fuzz_must_not_exist', size: 1 }, method: 'POST', path: '/volumes' },
      { method: 'GET', path: '/clusters' },
      { method: 'GET', path: `/clusters/${clusterId}` },
      { method: 'GET', path: `/volumes/${existingId}` },
      { method: 'DELETE', path: `/volumes/${existingId}` },
      { body: { expand_size: 1 }, method: 'POST', path: `/volumes/${existingId}/expand` },
      { method: 'GET', path: '/queue/0123456789abcdef0123456789abcdef' },
      // Not supported (501) with a valid token: a forged one must be refused before that.
      { body: {}, method: 'POST', path: '/clusters' },
    ];
    const request = fc
      .tuple(
        fc.constantFrom(...targets),
        forgery,
        // Only headers that reach the guard: Node itself refuses control characters (400) and too many header
        // bytes (431; the oversize forgery covers that), and a body that fails to decode may be refused first.
        extraHeaders.map((headers) =>
          headers.filter(
            ([name, value]) =>
              !/^(content-|transfer-encoding$|expect$|x-fuzz-padding$)/i.test(name) &&
              // eslint-disable-next-line no-control-regex -- control characters are what this filters out
              !/[\x00-\x08\x0a-\x1f\x7f]/.test(value),
          ),
        ),
      )
      .filter(([target, attack]) => {
        if (attack.kind === 'user-on-admin-route') {
          return !USER_ROUTES.has(`${target.method} ${target.path}`);
        }
        return (
          attack.kind !== 'other-request' || `${attack.method} ${attack.path}` !== `${target.method} ${target.path}`
        );
      });

    const statuses = await run('tokens', request, async ([target, attack, headers]) => {
      const authorizations = forge(attack, target);
      authorizations.forEach(remember);
      const reply = await send(port, {
        body: target.body === undefined ? undefined : encode(target.body),
        // Random headers go after the credentials, so none of them can cut the request short before them.
        headers: [
          ...authorizations.map((value): [string, string] => ['Authorization', value]),
          ['Content-Type', 'application/json'],
          ...headers,
        ],
        method: target.method,
        target: target.path,
      });
      expectRefused(reply, expectedStatuses(attack));
      return reply;
    });
    expect([...statuses].sort()).toEqual([400, 401, 431]);
    expect(sentTokens.size).toBeGreaterThan(1000);
  });

  it('should not serve files outside the Swagger UI directory', async () => {
    const targets = [
      '/docs/../package.json',
      '/docs/..%2f..%2fpackage.json',
      '/docs/%2e%2e/%2e%2e/package.json',
      '/docs/..%5c..%5cpackage.json',
      '/docs/....//....//package.json',
      `/docs/${'..%2f'.repeat(12)}etc/passwd`,
      '/docs/%00',
      '/docs/index.html%00.js',
    ];
    for (const target of targets) {
      const reply = await send(port, { headers: [], method: 'GET', target });
      expectRefused(reply);
      expect(reply.body).not.toMatch(/"dependencies"|root:x:0:0/);
    }
  });

  it('should still be up, with the data directory untouched and no secret in its log', async () => {
    // Refusals of its own, so that the log checks below hold when this test runs alone too.
    const refusals = [
      heketiToken({ key: 'not-the-admin-key', method: 'GET', path: '/clusters' }),
      heketiToken({ issuer: 'user', key: USER_KEY, method: 'GET', path: '/clusters' }),
    ];
    for (const token of refusals) {
      remember(`bearer ${token}`);
      expect((await fetch(`${server.url}/clusters`, { headers: { Authorization: `bearer ${token}` } })).status).toBe(
        401,
      );
    }
    await server.untilLogged(/Refused GET \/clusters from issuer user: Administrator access required/);
    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
    const hello = await fetch(`${server.url}/hello`);
    expect(hello.status).toBe(200);
    expect(await hello.text()).toBe('Hello from Heketi');
    const admin = new HeketiClient(server.url, ADMIN_KEY);
    expect((await admin.request('GET', '/volumes')).json()).toEqual({ volumes: [existingId] });
    expect(snapshot()).toEqual(before);

    const logs = server.logs;
    expect(logs).not.toContain(ADMIN_KEY);
    expect(logs).not.toContain(USER_KEY);
    const leaked = [...sentTokens].filter((token) => logs.includes(token));
    expect(leaked.map((token) => token.slice(0, 60))).toEqual([]);
    // Refusals are logged, with their reason and claimed issuer (never the token).
    expect(logs).toMatch(/Refused [A-Z]+ \/\S* from issuer admin: Invalid JWT token: signature is invalid/);
    expect(logs).toMatch(/Refused [A-Z]+ \/\S* from issuer user: Administrator access required/);
    // Nothing the fuzzer sent made the service fail internally (the log is pino JSON: error is level 50).
    expect(parseLogLines(logs).filter((line) => line.level >= LEVEL.error)).toEqual([]);
  });
});
