import { ErrorCode, PiraguaError } from '../common/piragua.error.js';

const failed = (message: string) => new PiraguaError(ErrorCode.Failed, message);

export const allocationFailed = (reason: string) => failed(`Failed to allocate new volume: ${reason}`);
export const expansionFailed = (reason: string) => failed(`Failed to allocate volume expansion: ${reason}`);
export const deleteSetupFailed = (reason: string) => failed(`Failed to set up volume delete: ${reason}`);
export const volumeBusy = 'The target exists, contains other items, or is in use.';
export const noClusters = () => new PiraguaError(ErrorCode.InvalidRequest, 'No clusters configured');
export const protectedVolume = () =>
  new PiraguaError(ErrorCode.Conflict, 'Cannot delete volume containing the Heketi database');
