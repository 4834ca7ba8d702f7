import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';

/** Result of a handler that started an asynchronous operation: 202 with the queue location to poll. */
export class AsyncAccepted {
  constructor(public readonly operationId: string) {}

  get location(): string {
    return `/queue/${this.operationId}`;
  }
}

/**
 * Renders handler results as Heketi does: JSON from Go's encoder (compact, trailing newline,
 * `charset=UTF-8`), plain text for strings, and an empty 202 with `Location` for async starts.
 */
@Injectable()
export class HeketiResponseInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((result: unknown) => {
        if (result instanceof AsyncAccepted) {
          reply.header('Location', result.location);
          return undefined;
        }
        if (typeof result === 'string') {
          reply.header('Content-Type', 'text/plain; charset=UTF-8');
          return result;
        }
        if (result !== undefined && result !== null) {
          reply.header('Content-Type', 'application/json; charset=UTF-8');
          return `${JSON.stringify(result)}\n`;
        }
        return result;
      }),
    );
  }
}
