import type { Heartbeat, OperationRecord, VolumeRecord } from '../../src/backends/backend.types.js';
import { fakeCluster } from '../fakes/fake-storage.js';

export const CLUSTER_ID = fakeCluster().id;

/** A ready 2 GiB volume on the fake cluster. */
export function volumeRecord(overrides: Partial<VolumeRecord> = {}): VolumeRecord {
  return {
    clusterId: CLUSTER_ID,
    createdAt: '2026-01-01T00:00:00.000Z',
    durability: { disperse: {}, replicate: { replica: 3 }, type: 'replicate' },
    id: '5eed5eed5eed5eed5eed5eed5eed5eed',
    name: 'seeded',
    sizeGiB: 2,
    snapshot: { enable: true, factor: 1 },
    state: 'ready',
    ...overrides,
  };
}

/** A pending create on the fake cluster, owned by instance `spec-1` in incarnation `earlier`. */
export function operationRecord(overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    clusterId: CLUSTER_ID,
    id: '0000000000000000000000000000000a',
    incarnation: 'earlier',
    kind: 'create',
    owner: 'spec-1',
    startedAt: '2026-01-01T00:00:00.000Z',
    state: 'pending',
    volumeId: '5eed5eed5eed5eed5eed5eed5eed5eed',
    ...overrides,
  };
}

/** Instance `spec-2` beating now. */
export function heartbeat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    heartbeatAt: new Date().toISOString(),
    incarnation: 'other-incarnation',
    instanceId: 'spec-2',
    pid: 4242,
    startedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
