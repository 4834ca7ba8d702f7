import { status } from '@grpc/grpc-js';

/** A CSI answer other than OK, with a message for the CO; CsiExceptionFilter sends it as that gRPC status. */
export class CsiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'CsiError';
  }
}

export const invalidArgument = (message: string) => new CsiError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new CsiError(status.NOT_FOUND, message);
export const alreadyExists = (message: string) => new CsiError(status.ALREADY_EXISTS, message);
export const outOfRange = (message: string) => new CsiError(status.OUT_OF_RANGE, message);
export const aborted = (message: string) => new CsiError(status.ABORTED, message);
export const failedPrecondition = (message: string) => new CsiError(status.FAILED_PRECONDITION, message);
