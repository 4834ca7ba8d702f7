import type { HeketiCreateRequest, PiraguaVolume } from '../../heketi-client/heketi-api.types.js';

export type CreateSpec = HeketiCreateRequest;

/**
 * Where the CSI controller's volumes come from: the domain in-process (a controller running on a
 * Gluster server) or a piragua REST API (the shape inside Kubernetes). Both answer with the
 * piragua extension's view of a volume; failures are PiraguaError or HeketiApiError, which
 * CsiExceptionFilter maps.
 */
export abstract class VolumeProvisioner {
  /** The volume holding this Heketi name, in any state; one lookup, no scan. */
  abstract findByName(name: string): Promise<PiraguaVolume | undefined>;
  abstract get(volumeId: string): Promise<PiraguaVolume | undefined>;
  /** Creates the volume and resolves once it is ready. */
  abstract create(spec: CreateSpec): Promise<PiraguaVolume>;
  /** Adds `deltaGiB` and resolves once the quota is raised. */
  abstract expand(volumeId: string, deltaGiB: number): Promise<void>;
  /** Resolves once the volume is gone; an unknown id is already gone. */
  abstract delete(volumeId: string): Promise<void>;
  /** Ready volume ids, sorted. */
  abstract listIds(): Promise<readonly string[]>;
  /** Bytes free for new quotas on the allowed clusters (all when empty), and the largest single volume. */
  abstract capacity(clusters: readonly string[]): Promise<{ availableBytes: number; maximumVolumeBytes: number }>;
  /** Throws why the backend or API cannot provision right now. */
  abstract probe(): Promise<void>;
}
