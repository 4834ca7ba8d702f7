import { Logger } from '@nestjs/common';
import { ErrorCode, PiraguaError } from './piragua.error.js';

const logger = new Logger('VolumeOperation');

/** An error that carries a message written for API clients (e.g. gluster's own stderr line). */
export interface PublicError {
  publicMessage: string;
}

function isPublic(error: unknown): error is PublicError {
  return typeof (error as PublicError | undefined)?.publicMessage === 'string';
}

/**
 * Why a storage call failed, as a client may read it: a backend failure by its public message, a
 * file-system failure by its errno code. Never a host path or a stack trace: the whole message is
 * logged, under `context`.
 */
export function publicReason(context: string, error: unknown): string {
  logger.warn(`${context}: ${error instanceof Error ? error.message : String(error)}`);
  if (isPublic(error)) {
    return error.publicMessage;
  }
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'internal error, see the piragua log';
}

/** The error a client sees when `step` failed: a PiraguaError as it is, anything else by its publicReason. */
export function stepFailure(prefix: string, step: string, error: unknown): PiraguaError {
  if (error instanceof PiraguaError) {
    return error.message.startsWith('Failed') ? error : new PiraguaError(error.code, `${prefix}: ${error.message}`);
  }
  return new PiraguaError(ErrorCode.Failed, `${prefix}: ${step}: ${publicReason(`${prefix}: ${step}`, error)}`);
}
