import type { ClusterTopology, ProbeResult } from '../backend.types.js';

/**
 * The storage piragua serves, as Heketi clusters: one per Gluster volume (or the local backend's
 * data directory), where it is mounted, and whether it can take new volumes.
 */
export abstract class TopologyBackend {
  /** Cached topology of every served volume; never waits on storage. */
  abstract clusters(): ClusterTopology[];
  /** Throws a PiraguaError saying why new volumes cannot be placed on the cluster right now. */
  abstract assertCanProvision(clusterId: string): void;
  /** The directory the cluster's volume is reachable at on this host; throws for an unknown cluster. */
  abstract volumeRoot(clusterId: string): string;
  /** Names of the probes health reports, each checked separately. */
  abstract probeNames(): string[];
  abstract probe(name: string): Promise<ProbeResult>;
}

/** The methods that reach storage; the rest answer from memory. */
export const TOPOLOGY_STORAGE_METHODS: ReadonlySet<keyof TopologyBackend> = new Set(['probe']);
