/** What went wrong, independent of transport; HeketiExceptionFilter maps each code to an HTTP status. */
export enum ErrorCode {
  BadAuthorizationHeader = 'bad_authorization_header',
  Busy = 'busy',
  Conflict = 'conflict',
  Failed = 'failed',
  InvalidPath = 'invalid_path',
  InvalidRequest = 'invalid_request',
  NotFound = 'not_found',
  NotSupported = 'not_supported',
  PayloadTooLarge = 'payload_too_large',
  Unauthorized = 'unauthorized',
  Unavailable = 'unavailable',
  Unparsable = 'unparsable',
}

/** A failure whose message is safe to show to API clients, exactly as Heketi words it where Heketi has one. */
export class PiraguaError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'PiraguaError';
  }
}

export const idNotFound = () => new PiraguaError(ErrorCode.NotFound, 'Id not found');
export const invalidPath = () => new PiraguaError(ErrorCode.InvalidPath, 'Invalid path or request');
export const unparsable = () => new PiraguaError(ErrorCode.Unparsable, 'request unable to be parsed');
export const invalidRequest = (message: string) => new PiraguaError(ErrorCode.InvalidRequest, message);
