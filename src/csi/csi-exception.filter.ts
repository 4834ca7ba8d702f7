import { status } from '@grpc/grpc-js';
import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import { HeketiApiError } from '../heketi-client/heketi-api.error.js';
import { CsiError } from './csi.error.js';

export interface GrpcFailure {
  code: status;
  message: string;
}

const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.BadAuthorizationHeader]: 400,
  [ErrorCode.Busy]: 429,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.Failed]: 500,
  [ErrorCode.InvalidPath]: 404,
  [ErrorCode.InvalidRequest]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.NotSupported]: 501,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Unparsable]: 422,
};

/** Heketi's wording of "another operation holds the volume" (volumes.errors.ts volumeBusy). */
const BUSY_TEXT = 'is in use';

/**
 * A provisioning failure, whether it came from the domain in-process or over the REST API (as an
 * HTTP status and Heketi's text), as the CSI code the external-provisioner acts on.
 */
export function grpcStatusOfHeketi(httpStatus: number, message: string): status {
  switch (httpStatus) {
    case 0:
    case 429:
    case 503:
      return status.UNAVAILABLE;
    case 400:
    case 413:
    case 422:
      return status.INVALID_ARGUMENT;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.NOT_FOUND;
    case 409:
      return status.FAILED_PRECONDITION;
    case 501:
      return status.UNIMPLEMENTED;
    default:
      if (message.endsWith('No space')) {
        return status.RESOURCE_EXHAUSTED;
      }
      if (message.includes(BUSY_TEXT) || /already in use/.test(message)) {
        return status.ABORTED;
      }
      return status.INTERNAL;
  }
}

/** The one place where failures become gRPC statuses for every CSI service (node included). */
export function toGrpcFailure(exception: unknown, logger?: Logger): GrpcFailure {
  if (exception instanceof CsiError) {
    return { code: exception.code, message: exception.message };
  }
  if (exception instanceof RpcException) {
    const error = exception.getError();
    if (typeof error === 'object' && typeof (error as Partial<GrpcFailure>).code === 'number') {
      return error as GrpcFailure;
    }
  }
  if (exception instanceof PiraguaError) {
    return {
      code: grpcStatusOfHeketi(HTTP_STATUS_BY_CODE[exception.code], exception.message),
      message: exception.message,
    };
  }
  if (exception instanceof HeketiApiError) {
    return {
      code: grpcStatusOfHeketi(exception.status, exception.message),
      message: `piragua API: ${exception.message}`,
    };
  }
  logger?.error({ err: exception, msg: 'CSI call failed' });
  return { code: status.INTERNAL, message: 'internal error, see the piragua log' };
}

@Catch()
export class CsiExceptionFilter implements RpcExceptionFilter {
  private readonly logger = new Logger(CsiExceptionFilter.name);

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const failure = toGrpcFailure(exception, this.logger);
    return throwError(() => failure);
  }
}
