import type { Provider } from '@nestjs/common';
import { clusterNotFound } from '../../src/backends/backend.errors.js';
import { QuotaBackend } from '../../src/backends/quotas/quota.port.js';
import { VolumeStateStore } from '../../src/backends/state/volume-state.port.js';
import { TopologyBackend } from '../../src/backends/topology/topology.port.js';
import {
  GIB,
  type ClusterTopology,
  type Heartbeat,
  type OperationRecord,
  type ProbeResult,
  type QuotaUsage,
  type VolumeRecord,
} from '../../src/backends/backend.types.js';

/** Every port method: the three ports' names do not overlap, so one fake can stand for all of them. */
export type StorageMethod = keyof TopologyBackend | keyof QuotaBackend | keyof VolumeStateStore;
type Ports = TopologyBackend & QuotaBackend & VolumeStateStore;

const TRASH = '.piragua/trash/';
const POOL_NEW = '.piragua/pool-new/';

export interface StorageCall {
  args: unknown[];
  method: StorageMethod;
}

/** Methods that only read; specs usually leave them out when they assert the exact sequence of changes. */
export const READ_METHODS: ReadonlySet<StorageMethod> = new Set<StorageMethod>([
  'assertCanProvision',
  'clusters',
  'directoryLimits',
  'inspectVolumeDirectory',
  'listVolumeDirectories',
  'loadHeartbeats',
  'loadLocks',
  'loadNames',
  'loadOperation',
  'loadOperations',
  'loadVolume',
  'loadVolumes',
  'nameOwner',
  'pooledDirectoryCounts',
  'probe',
  'probeNames',
  'quotaLimits',
  'volumeRoot',
  'quotaUsage',
  'trashEntries',
  'volumeChanges',
  'volumeLockHolder',
]);

interface Gate {
  /** Tells the test the call is now waiting. */
  arrived: () => void;
  /** Resolves when the test releases the call. */
  opened: Promise<void>;
}

/** A file-system style error, the kind fs/promises rejects with (message carries a host path, code does not). */
export function errnoError(code: string, path = '/srv/gluster/gv0/secret'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: operation failed, '${path}'`), { code, path });
}

/**
 * The topology, quota and state-store ports in memory, recording every call in one sequence; the
 * contract specs check it behaves like the real implementations. Strict where it matters:
 * - `forbid(...)` makes a method throw and lists the call in `violations` (assert it stays empty);
 * - `failOnce(...)` makes the next (or n-th next) call of a method reject;
 * - `answerOnce(...)` / `answerEvery(...)` replace the in-memory result of the next / every call;
 * - `hold(...)` makes the next call of a method wait until the test releases it.
 * Names, directories, records and quotas are kept apart, as in the real tree: a record lives in
 * the state directory, so it outlives a trashed volume directory until removeVolume. Volume locks
 * are exclusive like the tree's symlink markers: one holder per volume, released only by it.
 */
export class FakeStorage implements TopologyBackend, QuotaBackend, VolumeStateStore {
  readonly calls: StorageCall[] = [];
  readonly violations: StorageCall[] = [];
  /** `<cluster>/<name>` → volume id */
  readonly names = new Map<string, string>();
  /** `<cluster>/<volume id>` → what createVolumeDirectory was given */
  readonly directories = new Map<string, { gid?: number; name: string }>();
  /** `<cluster>` → trashed volume ids not purged yet */
  readonly trash = new Map<string, string[]>();
  /** `<cluster>/<volume id>` → the limit a trashed directory took along, until the purge removes it */
  readonly trashedQuotas = new Map<string, number>();
  /** `<cluster>/<GiB>` → ready pooled directories of that size */
  readonly pool = new Map<string, number>();
  /** `<cluster>/<volume id>` of pooled directories claimed for a volume, before its inner directory is made */
  readonly claimedPoolDirectories = new Set<string>();
  /** `<cluster>/<owner>` → pooled directories that owner began and did not finish */
  readonly unfinishedPool = new Map<string, number>();
  /** Paths of pooled directories begun and neither finished nor discarded, with the limit each got */
  readonly begunPool = new Map<string, number | undefined>();
  readonly volumes = new Map<string, VolumeRecord>();
  readonly quotas = new Map<string, number>();
  readonly operations = new Map<string, OperationRecord>();
  /** `<cluster>/<volume id>` → the operation holding the volume's change lock */
  readonly locks = new Map<string, string>();
  /** `<cluster>/<instance id>` → its last heartbeat */
  readonly heartbeats = new Map<string, Heartbeat>();
  /** `<cluster>` → change announcements `<ms>-<volume id>`, as saveVolume and removeVolume leave them */
  readonly volumeChangeLog = new Map<string, Set<string>>();
  private readonly forbidden = new Set<StorageMethod>();
  private readonly failures = new Map<StorageMethod, { error: unknown; skip: number }[]>();
  private readonly overrides = new Map<StorageMethod, ((...args: never[]) => unknown)[]>();
  private readonly standingAnswers = new Map<StorageMethod, (...args: never[]) => unknown>();
  private readonly gates = new Map<StorageMethod, Gate[]>();

  private begun = 0;
  private changesForbidden = false;
  private allowed?: ReadonlySet<StorageMethod>;

  constructor(public topology: ClusterTopology[] = [fakeCluster()]) {}

  forbid(...methods: StorageMethod[]): this {
    methods.forEach((method) => this.forbidden.add(method));
    return this;
  }

  /** Every method but these throws, as `forbid` does. */
  allowOnly(...methods: StorageMethod[]): this {
    this.allowed = new Set(methods);
    return this;
  }

  /** Every method outside READ_METHODS throws, as `forbid` does. */
  forbidChanges(): this {
    this.changesForbidden = true;
    return this;
  }

  /** The call after `skip` further calls of `method` rejects with `error`. */
  failOnce(method: StorageMethod, error: unknown = errnoError('EIO'), skip = 0): this {
    this.failures.set(method, [...(this.failures.get(method) ?? []), { error, skip }]);
    return this;
  }

  /** The next call of `method` returns what `implementation` returns instead of the in-memory result. */
  answerOnce<K extends StorageMethod>(method: K, implementation: Ports[K]): this {
    this.overrides.set(method, [...(this.overrides.get(method) ?? []), implementation]);
    return this;
  }

  /** Every further call of `method` returns what `implementation` returns (after any `answerOnce`). */
  answerEvery<K extends StorageMethod>(method: K, implementation: Ports[K]): this {
    this.standingAnswers.set(method, implementation);
    return this;
  }

  /** The next call of `method` waits until `release()`; `reached` resolves once it is waiting. */
  hold(method: StorageMethod): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let arrived!: () => void;
    const opened = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    this.gates.set(method, [...(this.gates.get(method) ?? []), { arrived, opened }]);
    return { reached, release };
  }

  callsTo(method: StorageMethod): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  /** Method names in call order, reads (and the background purge) left out. */
  changes(): StorageMethod[] {
    const purging = (call: StorageCall) =>
      call.method === 'deleteTrashEntry' || (call.method === 'removeQuota' && String(call.args[1]).startsWith(TRASH));
    return this.calls.filter((call) => !READ_METHODS.has(call.method) && !purging(call)).map((call) => call.method);
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** Puts a ready volume in place as a finished create leaves it: directory, name, quota and record. */
  seedVolume(record: VolumeRecord): this {
    this.directories.set(`${record.clusterId}/${record.id}`, { gid: record.gid, name: record.name });
    this.names.set(`${record.clusterId}/${record.name}`, record.id);
    this.quotas.set(`${record.clusterId}/${record.id}`, record.sizeGiB * GIB);
    this.volumes.set(`${record.clusterId}/${record.id}`, structuredClone(record));
    return this;
  }

  /** A copy, as the real topologies return: callers may sort it. */
  clusters(): ClusterTopology[] {
    this.record('clusters', []);
    return [...this.topology];
  }

  /** Clusters listed here refuse new volumes with the given error, as a degraded Gluster volume would. */
  readonly unprovisionable = new Map<string, unknown>();

  assertCanProvision(clusterId: string): void {
    this.record('assertCanProvision', [clusterId]);
    if (this.unprovisionable.has(clusterId)) {
      throw this.unprovisionable.get(clusterId);
    }
  }

  volumeRoot(clusterId: string): string {
    this.record('volumeRoot', [clusterId]);
    if (!this.topology.some((cluster) => cluster.id === clusterId)) {
      throw clusterNotFound(clusterId);
    }
    return `/fake/${clusterId}`;
  }

  probeNames(): string[] {
    this.record('probeNames', []);
    return ['fake'];
  }

  probe(name: string): Promise<ProbeResult> {
    return this.run('probe', [name], () => ({ ok: true }));
  }

  claimName(clusterId: string, name: string, volumeId: string): Promise<boolean> {
    return this.run('claimName', [clusterId, name, volumeId], () => {
      const key = `${clusterId}/${name}`;
      const owner = this.names.get(key);
      if (owner === undefined) {
        this.names.set(key, volumeId);
        return true;
      }
      return owner === volumeId;
    });
  }

  nameOwner(clusterId: string, name: string): Promise<string | undefined> {
    return this.run('nameOwner', [clusterId, name], () => this.names.get(`${clusterId}/${name}`));
  }

  releaseName(clusterId: string, name: string, volumeId: string): Promise<void> {
    return this.run('releaseName', [clusterId, name, volumeId], () => {
      if (this.names.get(`${clusterId}/${name}`) === volumeId) {
        this.names.delete(`${clusterId}/${name}`);
      }
    });
  }

  lockVolume(clusterId: string, volumeId: string, operationId: string): Promise<boolean> {
    return this.run('lockVolume', [clusterId, volumeId, operationId], () => {
      const key = `${clusterId}/${volumeId}`;
      const holder = this.locks.get(key);
      if (holder === undefined) {
        this.locks.set(key, operationId);
        return true;
      }
      return holder === operationId;
    });
  }

  unlockVolume(clusterId: string, volumeId: string, operationId: string): Promise<void> {
    return this.run('unlockVolume', [clusterId, volumeId, operationId], () => {
      if (this.locks.get(`${clusterId}/${volumeId}`) === operationId) {
        this.locks.delete(`${clusterId}/${volumeId}`);
      }
    });
  }

  volumeLockHolder(clusterId: string, volumeId: string): Promise<string | undefined> {
    return this.run('volumeLockHolder', [clusterId, volumeId], () => this.locks.get(`${clusterId}/${volumeId}`));
  }

  loadLocks(clusterId: string): Promise<Map<string, string>> {
    return this.run('loadLocks', [clusterId], () => {
      const locks = new Map<string, string>();
      for (const [key, operationId] of this.locks) {
        const [cluster, volumeId] = key.split('/') as [string, string];
        if (cluster === clusterId) {
          locks.set(volumeId, operationId);
        }
      }
      return locks;
    });
  }

  saveHeartbeat(clusterId: string, heartbeat: Heartbeat): Promise<void> {
    return this.run('saveHeartbeat', [clusterId, structuredClone(heartbeat)], () => {
      this.heartbeats.set(`${clusterId}/${heartbeat.instanceId}`, structuredClone(heartbeat));
    });
  }

  loadHeartbeats(clusterId: string): Promise<Heartbeat[]> {
    return this.run('loadHeartbeats', [clusterId], () =>
      [...this.heartbeats.entries()]
        .filter(([key]) => key.startsWith(`${clusterId}/`))
        .map(([, heartbeat]) => structuredClone(heartbeat)),
    );
  }

  loadNames(clusterId: string): Promise<Map<string, string>> {
    return this.run('loadNames', [clusterId], () => {
      const names = new Map<string, string>();
      for (const [key, volumeId] of this.names) {
        if (key.startsWith(`${clusterId}/`)) {
          names.set(key.slice(clusterId.length + 1), volumeId);
        }
      }
      return names;
    });
  }

  /** Claimed pooled directories too: they are `<id>/` on the volume before their inner directory is made. */
  listVolumeDirectories(clusterId: string): Promise<string[]> {
    return this.run('listVolumeDirectories', [clusterId], () =>
      [...this.directories.keys(), ...this.claimedPoolDirectories]
        .filter((key) => key.startsWith(`${clusterId}/`))
        .map((key) => key.slice(clusterId.length + 1)),
    );
  }

  createVolumeDirectory(
    clusterId: string,
    volumeId: string,
    name: string,
    gid?: number,
    pooled = false,
  ): Promise<void> {
    return this.run('createVolumeDirectory', [clusterId, volumeId, name, gid, pooled], () => {
      const key = `${clusterId}/${volumeId}`;
      if (this.directories.has(key) || pooled !== this.claimedPoolDirectories.has(key)) {
        throw errnoError(pooled ? 'ENOENT' : 'EEXIST');
      }
      this.claimedPoolDirectories.delete(key);
      this.directories.set(key, { gid, name });
    });
  }

  trashVolumeDirectory(clusterId: string, volumeId: string): Promise<void> {
    return this.run('trashVolumeDirectory', [clusterId, volumeId], () => {
      const key = `${clusterId}/${volumeId}`;
      if (this.directories.delete(key) || this.claimedPoolDirectories.delete(key)) {
        this.trash.set(clusterId, [...(this.trash.get(clusterId) ?? []), volumeId]);
        // A Gluster limit belongs to the directory and moves with it.
        const limit = this.quotas.get(key);
        if (limit !== undefined) {
          this.quotas.delete(key);
          this.trashedQuotas.set(key, limit);
        }
      }
    });
  }

  inspectVolumeDirectory(
    clusterId: string,
    directory: string,
  ): Promise<{ createdAt: string; gid: number; name: string } | undefined> {
    return this.run('inspectVolumeDirectory', [clusterId, directory], () => {
      const found = this.directories.get(`${clusterId}/${directory}`);
      return found ? { createdAt: '2026-01-01T00:00:00.000Z', gid: found.gid ?? 0, name: found.name } : undefined;
    });
  }

  claimPooledDirectory(clusterId: string, sizeGiB: number, volumeId: string): Promise<boolean> {
    return this.run('claimPooledDirectory', [clusterId, sizeGiB, volumeId], () => {
      const ready = this.pool.get(`${clusterId}/${sizeGiB}`) ?? 0;
      if (ready === 0) {
        return false;
      }
      this.pool.set(`${clusterId}/${sizeGiB}`, ready - 1);
      this.claimedPoolDirectories.add(`${clusterId}/${volumeId}`);
      this.quotas.set(`${clusterId}/${volumeId}`, sizeGiB * GIB);
      return true;
    });
  }

  pooledDirectoryCounts(clusterId: string): Promise<Map<number, number>> {
    return this.run('pooledDirectoryCounts', [clusterId], () => {
      const counts = new Map<number, number>();
      for (const [key, count] of this.pool) {
        const [cluster, size] = key.split('/') as [string, string];
        if (cluster === clusterId) {
          counts.set(Number(size), count);
        }
      }
      return counts;
    });
  }

  beginPooledDirectory(clusterId: string, owner: string): Promise<string> {
    return this.run('beginPooledDirectory', [clusterId, owner], () => {
      const path = `${POOL_NEW}${owner}@${(this.begun += 1)}`;
      this.begunPool.set(`${clusterId}/${path}`, undefined);
      return path;
    });
  }

  finishPooledDirectory(clusterId: string, path: string, sizeGiB: number): Promise<void> {
    return this.run('finishPooledDirectory', [clusterId, path, sizeGiB], () => {
      if (!this.begunPool.delete(`${clusterId}/${path}`)) {
        throw errnoError('ENOENT');
      }
      this.pool.set(`${clusterId}/${sizeGiB}`, (this.pool.get(`${clusterId}/${sizeGiB}`) ?? 0) + 1);
    });
  }

  discardPooledDirectory(clusterId: string, path: string): Promise<void> {
    return this.run('discardPooledDirectory', [clusterId, path], () => {
      if (!this.begunPool.has(`${clusterId}/${path}`)) {
        throw errnoError('ENOENT');
      }
      this.trashBegun(clusterId, path);
    });
  }

  /** The owner's begun directories go to the trash with their limits, plus those seeded in `unfinishedPool`. */
  discardUnfinishedPooledDirectories(clusterId: string, owner: string): Promise<number> {
    return this.run('discardUnfinishedPooledDirectories', [clusterId, owner], () => {
      const seeded = this.unfinishedPool.get(`${clusterId}/${owner}`) ?? 0;
      this.unfinishedPool.delete(`${clusterId}/${owner}`);
      const begun = [...this.begunPool.keys()].filter((key) => key.startsWith(`${clusterId}/${POOL_NEW}${owner}@`));
      begun.forEach((key) => this.trashBegun(clusterId, key.slice(clusterId.length + 1)));
      return seeded + begun.length;
    });
  }

  trashEntries(clusterId: string): Promise<string[]> {
    return this.run('trashEntries', [clusterId], () => (this.trash.get(clusterId) ?? []).map((entry) => TRASH + entry));
  }

  /** As on the mounted volume, a tree still holding a limit can be deleted: the limit would then be orphaned. */
  deleteTrashEntry(clusterId: string, path: string): Promise<void> {
    return this.run('deleteTrashEntry', [clusterId, path], () => {
      const left = (this.trash.get(clusterId) ?? []).filter((candidate) => candidate !== path.slice(TRASH.length));
      if (left.length > 0) {
        this.trash.set(clusterId, left);
      } else {
        this.trash.delete(clusterId);
      }
    });
  }

  saveVolume(record: VolumeRecord): Promise<void> {
    return this.run('saveVolume', [structuredClone(record)], () => {
      this.volumes.set(`${record.clusterId}/${record.id}`, structuredClone(record));
      this.announceChange(record.clusterId, record.id);
    });
  }

  removeVolume(clusterId: string, volumeId: string): Promise<void> {
    return this.run('removeVolume', [clusterId, volumeId], () => {
      this.volumes.delete(`${clusterId}/${volumeId}`);
      this.announceChange(clusterId, volumeId);
    });
  }

  volumeChanges(clusterId: string): Promise<string[]> {
    return this.run('volumeChanges', [clusterId], () => [...(this.volumeChangeLog.get(clusterId) ?? [])].sort());
  }

  pruneVolumeChanges(clusterId: string, maxAgeMs: number): Promise<void> {
    return this.run('pruneVolumeChanges', [clusterId, maxAgeMs], () => {
      const cutoff = Date.now() - maxAgeMs;
      for (const name of this.volumeChangeLog.get(clusterId) ?? []) {
        if (Number(name.split('-', 1)[0]) < cutoff) {
          this.volumeChangeLog.get(clusterId)!.delete(name);
        }
      }
    });
  }

  /** Announces a change the way the tree does: one name per millisecond and volume. */
  announceChange(clusterId: string, volumeId: string): void {
    this.volumeChangeLog.set(
      clusterId,
      (this.volumeChangeLog.get(clusterId) ?? new Set()).add(`${Date.now()}-${volumeId}`),
    );
  }

  loadVolume(clusterId: string, volumeId: string): Promise<VolumeRecord | undefined> {
    return this.run('loadVolume', [clusterId, volumeId], () =>
      structuredClone(this.volumes.get(`${clusterId}/${volumeId}`)),
    );
  }

  loadVolumes(clusterId: string): Promise<VolumeRecord[]> {
    return this.run('loadVolumes', [clusterId], () =>
      [...this.volumes.values()]
        .filter((record) => record.clusterId === clusterId)
        .map((record) => structuredClone(record)),
    );
  }

  /** Like gluster: a path that does not exist cannot get a limit. */
  setQuota(clusterId: string, path: string, limitBytes: number): Promise<void> {
    return this.run('setQuota', [clusterId, path, limitBytes], () => {
      if (path.startsWith(POOL_NEW) && this.begunPool.has(`${clusterId}/${path}`)) {
        this.begunPool.set(`${clusterId}/${path}`, limitBytes);
      } else if (this.directoryExists(clusterId, path)) {
        this.quotas.set(`${clusterId}/${path}`, limitBytes);
      } else {
        throw errnoError('ENOENT');
      }
    });
  }

  readQuota(clusterId: string, path: string): Promise<number | undefined> {
    return this.run('readQuota', [clusterId, path], () => {
      if (path.startsWith(POOL_NEW)) {
        return this.begunPool.get(`${clusterId}/${path}`);
      }
      if (path.startsWith(TRASH)) {
        return this.trashedQuotas.get(`${clusterId}/${path.slice(TRASH.length)}`);
      }
      return this.quotas.get(`${clusterId}/${path}`);
    });
  }

  removeQuota(clusterId: string, path: string): Promise<void> {
    return this.run('removeQuota', [clusterId, path], () => {
      if (path.startsWith(TRASH)) {
        this.trashedQuotas.delete(`${clusterId}/${path.slice(TRASH.length)}`);
      } else {
        this.quotas.delete(`${clusterId}/${path}`);
      }
    });
  }

  quotaUsage(clusterId: string, directories: string[]): Promise<Map<string, QuotaUsage>> {
    return this.run('quotaUsage', [clusterId, [...directories]], () => {
      const limits = this.limitsOf(clusterId);
      return new Map(
        directories.flatMap((directory) => {
          const limitBytes = limits.get(directory);
          return limitBytes === undefined ? [] : [[directory, { limitBytes, usedBytes: 0 }] as const];
        }),
      );
    });
  }

  /** Like statfs of each directory: a limit whose directory is gone is not seen. */
  directoryLimits(clusterId: string, directories: string[]): Promise<Map<string, number>> {
    return this.run('directoryLimits', [clusterId, [...directories]], () => {
      const limits = this.limitsOf(clusterId);
      return new Map(
        directories.flatMap((directory) => {
          const limit = limits.get(directory);
          return limit !== undefined && this.directoryExists(clusterId, directory) ? [[directory, limit] as const] : [];
        }),
      );
    });
  }

  /** Like `quota list`: also the limits whose directory is gone. */
  quotaLimits(clusterId: string): Promise<Map<string, number>> {
    return this.run('quotaLimits', [clusterId], () => this.limitsOf(clusterId));
  }

  saveOperation(record: OperationRecord): Promise<void> {
    return this.run('saveOperation', [structuredClone(record)], () => {
      this.operations.set(`${record.clusterId}/${record.id}`, structuredClone(record));
    });
  }

  loadOperation(clusterId: string, operationId: string): Promise<OperationRecord | undefined> {
    return this.run('loadOperation', [clusterId, operationId], () =>
      structuredClone(this.operations.get(`${clusterId}/${operationId}`)),
    );
  }

  removeOperation(clusterId: string, operationId: string): Promise<void> {
    return this.run('removeOperation', [clusterId, operationId], () => {
      this.operations.delete(`${clusterId}/${operationId}`);
    });
  }

  loadOperations(clusterId: string): Promise<OperationRecord[]> {
    return this.run('loadOperations', [clusterId], () =>
      [...this.operations.values()]
        .filter((record) => record.clusterId === clusterId)
        .map((record) => structuredClone(record)),
    );
  }

  /** Moves a begun pooled directory into the trash, with whatever limit it got. */
  private trashBegun(clusterId: string, path: string): void {
    const limit = this.begunPool.get(`${clusterId}/${path}`);
    this.begunPool.delete(`${clusterId}/${path}`);
    const entry = path.slice(POOL_NEW.length);
    this.trash.set(clusterId, [...(this.trash.get(clusterId) ?? []), entry]);
    if (limit !== undefined) {
      this.trashedQuotas.set(`${clusterId}/${entry}`, limit);
    }
  }

  private limitsOf(clusterId: string): Map<string, number> {
    const limits = new Map<string, number>();
    for (const [key, limitBytes] of this.quotas) {
      const [cluster, directory] = key.split('/') as [string, string];
      if (cluster === clusterId) {
        limits.set(directory, limitBytes);
      }
    }
    return limits;
  }

  private directoryExists(clusterId: string, directory: string): boolean {
    return (
      this.directories.has(`${clusterId}/${directory}`) || this.claimedPoolDirectories.has(`${clusterId}/${directory}`)
    );
  }

  private record(method: StorageMethod, args: unknown[]): void {
    const call = { args, method };
    this.calls.push(call);
    if (
      this.forbidden.has(method) ||
      (this.changesForbidden && !READ_METHODS.has(method)) ||
      (this.allowed && !this.allowed.has(method))
    ) {
      this.violations.push(call);
      throw new Error(`FakeStorage: unexpected call ${method}(${JSON.stringify(args)})`);
    }
  }

  private async run<T>(method: StorageMethod, args: unknown[], inMemory: () => T): Promise<T> {
    this.record(method, args);
    const gate = this.gates.get(method)?.shift();
    if (gate) {
      gate.arrived();
      await gate.opened;
    }
    const failures = this.failures.get(method) ?? [];
    const failure = failures[0];
    if (failure && failure.skip-- === 0) {
      failures.shift();
      throw failure.error;
    }
    const override = this.overrides.get(method)?.shift() ?? this.standingAnswers.get(method);
    if (override) {
      return (override as (...values: unknown[]) => T)(...args);
    }
    return inMemory();
  }
}

/** A Gluster volume as the topology reports it; capacity in GiB. */
export function fakeCluster(overrides: Partial<ClusterTopology> & { capacityGiB?: number } = {}): ClusterTopology {
  const { capacityGiB = 100, ...rest } = overrides;
  return {
    capacityBytes: capacityGiB * 1024 ** 3,
    id: 'c0ffee00c0ffee00c0ffee00c0ffee00',
    nodes: [
      {
        devices: [
          {
            freeKiB: 0,
            id: 'd0000000d0000000d0000000d0000000',
            name: '/bricks/b1',
            state: 'online',
            totalKiB: 0,
            usedKiB: 0,
          },
        ],
        id: 'a0000000a0000000a0000000a0000000',
        manageHostname: 'gluster-1',
        state: 'online',
        storageAddress: '10.0.0.1',
      },
    ],
    volumeName: 'gv0',
    volumeType: 'Distribute',
    ...rest,
  };
}

/** The fake as each of the three ports, for a Nest module under test. */
export function storageProviders(fake: FakeStorage): Provider[] {
  return [TopologyBackend, QuotaBackend, VolumeStateStore].map((provide) => ({ provide, useValue: fake }));
}
