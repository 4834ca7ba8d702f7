import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import { HeketiApiError } from '../heketi-client/heketi-api.error.js';
import { allocationFailed, deleteSetupFailed, volumeBusy } from '../volumes/volumes.errors.js';
import { CsiError } from './csi.error.js';
import { toGrpcFailure } from './csi-exception.filter.js';

describe('toGrpcFailure', () => {
  it.each([
    ['no room in-process', allocationFailed('No space'), status.RESOURCE_EXHAUSTED],
    [
      'no room over the API',
      new HeketiApiError(500, 'Failed to allocate new volume: No space'),
      status.RESOURCE_EXHAUSTED,
    ],
    ['a busy volume in-process', deleteSetupFailed(volumeBusy), status.ABORTED],
    [
      'a busy volume over the API',
      new HeketiApiError(500, `Failed to allocate volume expansion: ${volumeBusy}`),
      status.ABORTED,
    ],
    ['a name another create holds', allocationFailed("Volume name 'x' already in use"), status.ABORTED],
    ['a full queue (429)', new PiraguaError(ErrorCode.Busy, 'Server busy. Retry operation later.'), status.UNAVAILABLE],
    ['an unreachable API', new HeketiApiError(0, 'http://x unreachable: ECONNREFUSED'), status.UNAVAILABLE],
    ['a rejected token', new HeketiApiError(401, 'token is expired'), status.UNAUTHENTICATED],
    [
      'an unknown cluster',
      new PiraguaError(ErrorCode.InvalidRequest, 'Cluster id x not found'),
      status.INVALID_ARGUMENT,
    ],
    ['a missing volume', new PiraguaError(ErrorCode.NotFound, 'Id not found'), status.NOT_FOUND],
    ['a failed step', new PiraguaError(ErrorCode.Failed, 'Failed to create volume: set quota: x'), status.INTERNAL],
    ['a CSI rule', new CsiError(status.OUT_OF_RANGE, 'too big'), status.OUT_OF_RANGE],
    [
      'a node error',
      new RpcException({ code: status.ALREADY_EXISTS, message: 'other options' }),
      status.ALREADY_EXISTS,
    ],
  ])('should map %s', (_, error, code) => {
    expect(toGrpcFailure(error).code).toBe(code);
  });

  it('should hide what an unexpected error says', () => {
    const failure = toGrpcFailure(new Error('EACCES: /secret/path'));
    expect(failure).toEqual({ code: status.INTERNAL, message: 'internal error, see the piragua log' });
  });
});
