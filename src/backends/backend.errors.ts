import { ErrorCode, PiraguaError } from '../common/piragua.error.js';

export const clusterNotFound = (clusterId: string) =>
  new PiraguaError(ErrorCode.NotFound, `Cluster id ${clusterId} not found`);
