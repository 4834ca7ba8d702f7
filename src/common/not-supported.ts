import { ErrorCode, PiraguaError } from './piragua.error.js';

export const topologyIsGlusters = () =>
  new PiraguaError(
    ErrorCode.NotSupported,
    "piragua reflects the Gluster trusted pool and volumes and does not manage them: clusters are the Gluster volumes in PIRAGUA_GLUSTER_VOLUMES, nodes are the pool's peers and devices their bricks; change them with the gluster CLI",
  );

export const notSupported = (what: string) =>
  new PiraguaError(
    ErrorCode.NotSupported,
    `${what} are not supported: piragua provisions directories with quotas on a shared Gluster volume`,
  );
