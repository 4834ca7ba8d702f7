import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { loggedPath } from '../logging/request-logger.js';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import { writePlainError } from './plain-error.js';

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

function isHealthReport(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body;
}

/** No route serves it: Nest's 404 (serve-static lets the Swagger UI paths it refuses, `..` or NUL, fall through to it). */
function isUnknownPath(exception: unknown): boolean {
  return exception instanceof NotFoundException && exception.message.startsWith('Cannot ');
}

/** The one place where failures become HTTP: Heketi-style plain-text bodies, never a stack trace or a path. */
@Catch()
export class HeketiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HeketiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    if (response.headersSent) {
      return;
    }
    if (exception instanceof PiraguaError) {
      const status = STATUS_BY_CODE[exception.code];
      if (status >= 500) {
        // The request line says only "500"; an operator needs the reason without asking the client.
        this.logger.warn(`${request.method} ${loggedPath(request)}: ${exception.message}`);
      }
      writePlainError(response, status, exception.message, exception.retryAfterSeconds);
      return;
    }
    if (isUnknownPath(exception)) {
      // Heketi authenticates before routing, so an anonymous request for an unknown path is a 401.
      const anonymous = !request.headers.authorization;
      writePlainError(
        response,
        anonymous ? 401 : 404,
        anonymous ? 'Required authorization token not found' : 'Invalid path or request',
      );
      return;
    }
    if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      // Terminus' 503 carries the per-check report operators and probes read.
      const body = JSON.stringify(exception.getResponse());
      response.statusCode = exception.getStatus();
      response.setHeader('Content-Type', 'application/json; charset=utf-8');
      response.setHeader('Content-Length', Buffer.byteLength(body));
      response.end(body);
      return;
    }
    if (exception instanceof HttpException && exception.getStatus() === Number(HttpStatus.PAYLOAD_TOO_LARGE)) {
      // body-parser's words for a body past the limit, which clients have seen since the start.
      writePlainError(response, HttpStatus.PAYLOAD_TOO_LARGE, 'request body too large');
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      writePlainError(response, status, status >= 500 ? 'Internal Server Error' : exception.message);
      return;
    }
    this.logger.error(
      `${request.method} ${loggedPath(request)} failed`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    writePlainError(response, HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error');
  }
}
