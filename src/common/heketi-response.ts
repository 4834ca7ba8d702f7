import type { FastifyInstance } from 'fastify';

/** Result of a handler that started an asynchronous operation: 202 with the queue location to poll. */
export class AsyncAccepted {
  constructor(public readonly operationId: string) {}

  get location(): string {
    return `/queue/${this.operationId}`;
  }
}

/**
 * A body rendered once and sent as often as it is asked for: the volume list of thousands of ids,
 * a volume's or a cluster's info, are read far more often than they change, and rendering them per
 * request was a large share of their cost.
 */
export class PreRendered<T> {
  private bytes?: Buffer;

  constructor(readonly value: T) {}

  /** As bytes: a string would be encoded again for every response (400 KB each for 10,000 ids). */
  get body(): Buffer {
    return (this.bytes ??= Buffer.from(`${JSON.stringify(this.value)}\n`));
  }
}

const renderings = new WeakMap<object, PreRendered<object>>();

/**
 * The one rendering of a value its maker never changes again (services keep such values frozen
 * until their source changes): the same object always gets the same body.
 */
export function renderedOnce<T extends object>(value: T): PreRendered<T> {
  let rendered = renderings.get(value) as PreRendered<T> | undefined;
  if (rendered === undefined) {
    rendered = new PreRendered(value);
    renderings.set(value, rendered);
  }
  return rendered;
}

/**
 * Renders handler results as Heketi does: JSON from Go's encoder (compact, trailing newline),
 * plain text for strings, and an empty 202 with `Location` for async starts. Fastify itself names
 * the types (`application/json; charset=utf-8`, `text/plain; charset=utf-8`). Done by Fastify
 * rather than by a Nest interceptor, whose Observable pipeline per request was a large share of a read's CPU time.
 */
export function useHeketiResponses(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (_request, reply, payload, done) => {
    if (payload instanceof AsyncAccepted) {
      reply.header('Location', payload.location).removeHeader('Content-Type');
    }
    done(null, payload);
  });
  // Fastify sends a Buffer from the serializer as it is, with the JSON content type already chosen.
  fastify.setReplySerializer((payload) =>
    payload instanceof AsyncAccepted
      ? ''
      : payload instanceof PreRendered
        ? (payload.body as unknown as string)
        : `${JSON.stringify(payload)}\n`,
  );
}
