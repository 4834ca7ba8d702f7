import type { FastifyInstance } from 'fastify';

/** Result of a handler that started an asynchronous operation: 202 with the queue location to poll. */
export class AsyncAccepted {
  constructor(public readonly operationId: string) {}

  get location(): string {
    return `/queue/${this.operationId}`;
  }
}

/**
 * A body rendered once and sent as often as it is asked for: the volume list of thousands of ids
 * is read far more often than it changes, and rendering it per request was most of its cost.
 */
export class PreRendered<T> {
  private text?: string;

  constructor(readonly value: T) {}

  get json(): string {
    return (this.text ??= `${JSON.stringify(this.value)}\n`);
  }
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
  fastify.setReplySerializer((payload) =>
    payload instanceof AsyncAccepted ? '' : payload instanceof PreRendered ? payload.json : `${JSON.stringify(payload)}\n`,
  );
}
