import { Logger } from '@nestjs/common';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';

const logger = new Logger('VolumeOperation');

/** An error that carries a message written for API clients (e.g. gluster's own stderr line). */
export interface PublicError {
  publicMessage: string;
}

function isPublic(error: unknown): error is PublicError {
  return typeof (error as PublicError | undefined)?.publicMessage === 'string';
}

/**
 * The text a client sees when `step` failed: a PiraguaError as it is, a gateway failure by its
 * public message, a file-system failure by its errno code. Never a host path or a stack trace,
 * which go to the log instead.
 */
export function stepFailure(prefix: string, step: string, error: unknown): PiraguaError {
  if (error instanceof PiraguaError) {
    return error.message.startsWith('Failed') ? error : new PiraguaError(error.code, `${prefix}: ${error.message}`);
  }
  logger.warn(`${prefix}: ${step}: ${error instanceof Error ? error.message : String(error)}`);
  const reason = isPublic(error)
    ? error.publicMessage
    : ((error as NodeJS.ErrnoException | undefined)?.code ?? 'internal error, see the piragua log');
  return new PiraguaError(ErrorCode.Failed, `${prefix}: ${step}: ${reason}`);
}
