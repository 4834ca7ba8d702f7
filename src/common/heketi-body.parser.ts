import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** Heketi's requests are a few hundred bytes; anything near this is hostile. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Heketi's requests nest four levels at most. class-transformer recurses once per level and
 * overflows the stack (a 500) past about a thousand, which a 64 KiB body easily reaches.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * What a request's body is when it could not be parsed. Heketi authenticates before it parses, so
 * the 422 is left to the validation pipe, which runs after the guard.
 */
export const UNPARSABLE_BODY = Symbol('unparsable body');

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** Go's json.Unmarshal matches keys case-insensitively and every Heketi key is lowercase. */
function lowercaseKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.toLowerCase(), inner]));
}

/** Iterative on purpose: the point is not to recurse through what a client sent. */
export function nestsDeeperThan(root: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') {
      continue;
    }
    if (depth > limit) {
      return true;
    }
    for (const child of Object.values(value)) {
      pending.push([child, depth + 1]);
    }
  }
  return false;
}

/** The charsets a body may declare, as body-parser took them: UTF-8 unless said otherwise, and only UTF encodings. */
const DECODERS: Record<string, TextDecoder> = {
  'utf-16': new TextDecoder('utf-16le'),
  'utf-16be': new TextDecoder('utf-16be'),
  'utf-16le': new TextDecoder('utf-16le'),
  'utf-8': new TextDecoder('utf-8'),
};

/** The `charset` parameter of a Content-Type header, lowercased; none (or a header that does not parse) means UTF-8. */
export function charsetOf(contentType: string | undefined): string {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  return (match?.[1] ?? match?.[2] ?? 'utf-8').toLowerCase();
}

/**
 * A request body as Heketi reads it: JSON whatever the Content-Type, keys lowercased. An empty
 * body on POST/PUT/PATCH, one that does not parse, or one in a charset other than UTF-8/UTF-16 is
 * UNPARSABLE_BODY; one nested deeper than MAX_BODY_DEPTH is null. Both become the validation
 * pipe's 422, after the guard, and nothing recurses through them before.
 */
export function parseHeketiBody(method: string, bytes: Buffer, charset = 'utf-8'): unknown {
  const decoder = DECODERS[charset];
  if (decoder === undefined || (bytes.length === 0 && METHODS_WITH_BODY.has(method))) {
    return UNPARSABLE_BODY;
  }
  let body: unknown;
  try {
    // TextDecoder drops a leading byte-order mark, as body-parser did.
    body = bytes.length === 0 ? {} : JSON.parse(decoder.decode(bytes), lowercaseKeys);
  } catch {
    return UNPARSABLE_BODY;
  }
  return nestsDeeperThan(body, MAX_BODY_DEPTH) ? null : body;
}

const DECOMPRESSORS: Record<string, () => NodeJS.ReadWriteStream> = {
  br: createBrotliDecompress,
  deflate: createInflate,
  gzip: createGunzip,
};

/** The request's charset, read before its Content-Type header is set aside (see preParsing below). */
const charsets = new WeakMap<FastifyRequest, string>();

type Payload = Readable & { receivedEncodedLength?: number };

/**
 * A compressed body is inflated as it arrives; the body limit then applies to what it inflates to,
 * and a stream that does not inflate is a 400 with zlib's reason, as with body-parser.
 */
function decompressed(payload: Payload, encoding: string): Payload | undefined {
  const decompressor = DECOMPRESSORS[encoding];
  if (decompressor === undefined) {
    return undefined;
  }
  const inflated = payload.pipe(decompressor()) as unknown as Payload;
  inflated.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => (inflated.receivedEncodedLength! += chunk.length));
  payload.on('error', (error) => inflated.destroy(error));
  inflated.on('error', (error: Error & { expose?: boolean; status?: number; statusCode?: number }) =>
    Object.assign(error, { expose: true, status: 400, statusCode: 400 }),
  );
  return inflated;
}

/**
 * Every request body is read as Heketi's JSON (see parseHeketiBody), on every method: Go reads
 * a GET's body too, and so did body-parser, so an oversized one is a 413 on any route.
 */
export function useHeketiBodies(fastify: FastifyInstance): void {
  for (const method of ['GET', 'HEAD', 'TRACE']) {
    fastify.addHttpMethod(method, { hasBody: true, overrideExisting: true });
  }
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { bodyLimit: MAX_BODY_BYTES, parseAs: 'buffer' }, (request, bytes, done) =>
    done(null, parseHeketiBody(request.method, bytes as Buffer, charsets.get(request))),
  );
  fastify.addHook('preParsing', (request, _reply, payload: Payload, done) => {
    const headers = request.raw.headers;
    if (headers['content-type'] !== undefined) {
      // Fastify refuses a Content-Type it cannot parse (415) before any parser runs; Heketi ignores it.
      charsets.set(request, charsetOf(headers['content-type']));
      delete headers['content-type'];
    }
    const encoding = headers['content-encoding']?.toLowerCase() ?? 'identity';
    const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
    if (encoding === 'identity' || !hasBody) {
      done(null, payload);
      return;
    }
    const inflated = decompressed(payload, encoding);
    if (inflated === undefined) {
      // An encoding nobody can read leaves a body that does not parse.
      charsets.set(request, 'unsupported');
    }
    done(null, inflated ?? payload);
  });
}
