/** The gRPC codes the node service answers with (mapped to grpc-js status in CsiNodeController). */
export type NodeErrorCode =
  'aborted' | 'already_exists' | 'failed_precondition' | 'internal' | 'invalid_argument' | 'not_found' | 'unavailable';

/** A node-service failure with a message safe to return to the CO. */
export class CsiNodeError extends Error {
  constructor(
    readonly code: NodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CsiNodeError';
  }
}

export const invalidArgument = (message: string) => new CsiNodeError('invalid_argument', message);
export const notFound = (message: string) => new CsiNodeError('not_found', message);
