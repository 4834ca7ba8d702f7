import { ErrorCode, PiraguaError } from '../common/piragua.error.js';

export const tokenNotFound = () => new PiraguaError(ErrorCode.Unauthorized, 'Required authorization token not found');
export const badAuthorizationHeader = () =>
  new PiraguaError(ErrorCode.BadAuthorizationHeader, 'Authorization header format must be Bearer {token}');
export const invalidToken = (reason: string) =>
  new PiraguaError(ErrorCode.Unauthorized, `Invalid JWT token: ${reason}`);
export const invalidQsh = () => new PiraguaError(ErrorCode.Unauthorized, 'Invalid qsh claim in token');
export const adminRequired = () => new PiraguaError(ErrorCode.Unauthorized, 'Administrator access required');
