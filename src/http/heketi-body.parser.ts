import { TextDecoder } from 'node:util';

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
