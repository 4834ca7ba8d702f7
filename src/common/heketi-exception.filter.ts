import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loggedPath } from '../logging/request-logger.js';
import { ErrorCode, PiraguaError } from './piragua.error.js';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.BadAuthorizationHeader]: HttpStatus.BAD_REQUEST,
  [ErrorCode.Busy]: HttpStatus.TOO_MANY_REQUESTS,
  [ErrorCode.Conflict]: HttpStatus.CONFLICT,
  [ErrorCode.Failed]: HttpStatus.INTERNAL_SERVER_ERROR,
  [ErrorCode.InvalidPath]: HttpStatus.NOT_FOUND,
  [ErrorCode.InvalidRequest]: HttpStatus.BAD_REQUEST,
  [ErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.NotSupported]: HttpStatus.NOT_IMPLEMENTED,
  [ErrorCode.PayloadTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [ErrorCode.Unauthorized]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.Unavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.Unparsable]: HttpStatus.UNPROCESSABLE_ENTITY,
};

/** Writes an error the way Go's http.Error does, which is what Heketi's clients parse. */
export function sendPlainError(reply: FastifyReply, status: number, message: string, retryAfterSeconds?: number): void {
  const body = `${message}\n`;
  reply.code(status).header('Content-Type', 'text/plain; charset=utf-8').header('X-Content-Type-Options', 'nosniff');
  reply.header('Content-Length', Buffer.byteLength(body));
  if (retryAfterSeconds !== undefined) {
    reply.header('Retry-After', String(retryAfterSeconds));
  }
  void reply.send(body);
}

function isHealthReport(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body;
}

/** No route serves it: Nest's 404, or a path the Swagger UI file server refuses (`..`, NUL; serve-static let those fall through). */
function isUnknownPath(exception: unknown): boolean {
  if (exception instanceof NotFoundException) {
    return exception.message.startsWith('Cannot ');
  }
  return (
    exception instanceof HttpException &&
    exception.getStatus() === HttpStatus.FORBIDDEN &&
    exception.cause !== undefined
  );
}

/** The one place where failures become HTTP: Heketi-style plain-text bodies, never a stack trace or a path. */
@Catch()
export class HeketiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HeketiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const response = http.getResponse<FastifyReply>();
    if (response.sent || response.raw.headersSent) {
      return;
    }
    if (exception instanceof PiraguaError) {
      const status = STATUS_BY_CODE[exception.code];
      if (status >= 500) {
        // The request line says only "500"; an operator needs the reason without asking the client.
        this.logger.warn(`${request.method} ${loggedPath(request.raw)}: ${exception.message}`);
      }
      sendPlainError(response, status, exception.message, exception.retryAfterSeconds);
      return;
    }
    if (isUnknownPath(exception)) {
      // Heketi authenticates before routing, so an anonymous request for an unknown path is a 401.
      const anonymous = !request.headers.authorization;
      sendPlainError(
        response,
        anonymous ? 401 : 404,
        anonymous ? 'Required authorization token not found' : 'Invalid path or request',
      );
      return;
    }
    if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      // Terminus' 503 carries the per-check report operators and probes read.
      void response
        .code(exception.getStatus())
        .header('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify(exception.getResponse()));
      return;
    }
    if (exception instanceof HttpException && exception.getStatus() === HttpStatus.PAYLOAD_TOO_LARGE) {
      // Fastify's own words for a body past the limit; body-parser's were these.
      sendPlainError(response, HttpStatus.PAYLOAD_TOO_LARGE, 'request body too large');
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      sendPlainError(response, status, status >= 500 ? 'Internal Server Error' : exception.message);
      return;
    }
    this.logger.error(
      `${request.method} ${loggedPath(request.raw)} failed`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    sendPlainError(response, HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error');
  }
}
