import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  type Heartbeat,
  LEGACY_DIRECTORY,
  type OperationRecord,
  VOLUME_DIRECTORY,
  type VolumeRecord,
} from '../backend.types.js';
import { TopologyBackend } from '../topology/topology.port.js';
import { inBatches } from './in-batches.js';
import { claimMarker, isErrno, markers, markerValue, readJson, releaseMarker, writeJson } from './state-files.js';
import { type InspectedDirectory, VolumeStateStore } from './volume-state.port.js';

const CHANGE = /^\d+-[0-9a-f]{32}$/;
export const STATE_DIR = '.piragua';
const STATE_SUBDIRS = ['changes', 'instances', 'locks', 'names', 'operations', 'pool', 'pool-new', 'trash', 'volumes'];

const ignoreMissing = (error: unknown) => {
  if (!isErrno(error, 'ENOENT')) {
    throw error;
  }
};

/**
 * The state as files on each cluster's mounted volume (or the local backend's directory):
 *
 *   <root>/<id>/<name>/                    what Kubernetes mounts; the quota is set on <root>/<id>
 *   <root>/.piragua/volumes/<id>.json      the volume's record, outside the quota so a full volume can still be changed
 *   <root>/.piragua/names/<name> -> <id>   name reservations (symlink creation is atomic and exclusive)
 *   <root>/.piragua/locks/<id> -> <op>     the operation changing a volume, one at a time across instances
 *   <root>/.piragua/instances/<instance>   heartbeats, so instances can tell a dead peer's operations
 *   <root>/.piragua/changes/<ms>-<id>      which records changed lately, so other instances re-read just those
 *   <root>/.piragua/operations/<op>.json   async operations, so any instance can answer /queue
 *   <root>/.piragua/trash/<id>.<ms>        deleted volumes (with their quotas) waiting to be purged
 *   <root>/.piragua/pool/<GiB>/<owner>@<r> the warm pool: directories with their quota set, renamed to <id> by a create
 *   <root>/.piragua/pool-new/<owner>@<r>   pool directories being made; an owner that restarts trashes its leftovers
 */
@Injectable()
export class FileStateStore extends VolumeStateStore implements OnModuleInit {
  constructor(private readonly topology: TopologyBackend) {
    super();
  }

  async onModuleInit(): Promise<void> {
    for (const cluster of this.topology.clusters()) {
      for (const dir of STATE_SUBDIRS) {
        await mkdir(this.state(cluster.id, dir), { recursive: true });
      }
    }
  }

  claimName(clusterId: string, name: string, volumeId: string): Promise<boolean> {
    return claimMarker(this.state(clusterId, 'names'), name, volumeId);
  }

  releaseName(clusterId: string, name: string, volumeId: string): Promise<void> {
    return releaseMarker(this.state(clusterId, 'names'), name, volumeId);
  }

  nameOwner(clusterId: string, name: string): Promise<string | undefined> {
    return markerValue(this.state(clusterId, 'names'), name);
  }

  loadNames(clusterId: string): Promise<Map<string, string>> {
    return markers(this.state(clusterId, 'names'));
  }

  lockVolume(clusterId: string, volumeId: string, operationId: string): Promise<boolean> {
    return claimMarker(this.state(clusterId, 'locks'), volumeId, operationId);
  }

  unlockVolume(clusterId: string, volumeId: string, operationId: string): Promise<void> {
    return releaseMarker(this.state(clusterId, 'locks'), volumeId, operationId);
  }

  volumeLockHolder(clusterId: string, volumeId: string): Promise<string | undefined> {
    return markerValue(this.state(clusterId, 'locks'), volumeId);
  }

  /** One directory read, however many volumes there are. */
  loadLocks(clusterId: string): Promise<Map<string, string>> {
    return markers(this.state(clusterId, 'locks'));
  }

  saveHeartbeat(clusterId: string, heartbeat: Heartbeat): Promise<void> {
    return writeJson(this.state(clusterId, 'instances', `${heartbeat.instanceId}.json`), heartbeat);
  }

  async loadHeartbeats(clusterId: string): Promise<Heartbeat[]> {
    const dir = this.state(clusterId, 'instances');
    const heartbeats: Heartbeat[] = [];
    for (const name of (await readdir(dir)).filter((entry) => entry.endsWith('.json'))) {
      const heartbeat = await readJson<Heartbeat>(join(dir, name)).catch(() => undefined);
      if (heartbeat) {
        heartbeats.push(heartbeat);
      }
    }
    return heartbeats;
  }

  async listVolumeDirectories(clusterId: string): Promise<string[]> {
    const names = await readdir(this.topology.volumeRoot(clusterId));
    return names.filter((name) => VOLUME_DIRECTORY.test(name) || LEGACY_DIRECTORY.test(name));
  }

  async inspectVolumeDirectory(clusterId: string, directory: string): Promise<InspectedDirectory | undefined> {
    const top = join(this.topology.volumeRoot(clusterId), directory);
    const entries = (await readdir(top, { withFileTypes: true }).catch(() => []))
      .filter((entry) => entry.isDirectory())
      .sort((a, b) => a.name.localeCompare(b.name));
    if (entries.length === 0) {
      return undefined;
    }
    const inner = await stat(join(top, entries[0].name));
    return {
      createdAt: inner.birthtime.getTime() > 0 ? inner.birthtime.toISOString() : inner.mtime.toISOString(),
      gid: inner.gid,
      name: entries[0].name,
    };
  }

  async createVolumeDirectory(
    clusterId: string,
    volumeId: string,
    name: string,
    gid?: number,
    pooled = false,
  ): Promise<void> {
    const top = join(this.topology.volumeRoot(clusterId), volumeId);
    if (!pooled) {
      await mkdir(top);
    }
    const volumeDir = join(top, name);
    await mkdir(volumeDir);
    if (gid !== undefined) {
      // -1 keeps the owner: one round trip fewer than reading it first.
      await chown(volumeDir, -1, gid);
    }
    // chown may clear the setgid bit, so the mode is set last.
    await chmod(volumeDir, 0o2775);
  }

  async trashVolumeDirectory(clusterId: string, directory: string): Promise<void> {
    await this.trash(clusterId, directory).catch(ignoreMissing);
  }

  async trashEntries(clusterId: string): Promise<string[]> {
    return (await readdir(this.state(clusterId, 'trash'))).map((entry) => join(STATE_DIR, 'trash', entry));
  }

  async deleteTrashEntry(clusterId: string, path: string): Promise<void> {
    const entry = basename(path);
    await rm(this.state(clusterId, 'trash', entry), { force: true, maxRetries: 3, recursive: true });
  }

  async beginPooledDirectory(clusterId: string, owner: string): Promise<string> {
    const path = join(STATE_DIR, 'pool-new', `${owner}@${randomBytes(8).toString('hex')}`);
    await mkdir(join(this.topology.volumeRoot(clusterId), path));
    return path;
  }

  async finishPooledDirectory(clusterId: string, path: string, sizeGiB: number): Promise<void> {
    const sizeDir = this.state(clusterId, 'pool', String(sizeGiB));
    await mkdir(sizeDir, { recursive: true });
    await rename(join(this.topology.volumeRoot(clusterId), path), join(sizeDir, basename(path)));
  }

  discardPooledDirectory(clusterId: string, path: string): Promise<void> {
    return this.trash(clusterId, path);
  }

  /** Instances race for entries by rename, which only one wins; each starts at a random entry to race less. */
  async claimPooledDirectory(clusterId: string, sizeGiB: number, volumeId: string): Promise<boolean> {
    const sizeDir = this.state(clusterId, 'pool', String(sizeGiB));
    const entries = await readdir(sizeDir).catch((error: unknown) =>
      isErrno(error, 'ENOENT') ? [] : Promise.reject(error as Error),
    );
    const start = Math.floor(Math.random() * entries.length);
    for (let index = 0; index < entries.length; index += 1) {
      try {
        const entry = entries[(start + index) % entries.length];
        await rename(join(sizeDir, entry), join(this.topology.volumeRoot(clusterId), volumeId));
        return true;
      } catch (error) {
        ignoreMissing(error);
      }
    }
    return false;
  }

  async pooledDirectoryCounts(clusterId: string): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (const size of await readdir(this.state(clusterId, 'pool'))) {
      if (/^[1-9]\d*$/.test(size)) {
        counts.set(Number(size), (await readdir(this.state(clusterId, 'pool', size))).length);
      }
    }
    return counts;
  }

  async discardUnfinishedPooledDirectories(clusterId: string, owner: string): Promise<number> {
    const unfinished = (await readdir(this.state(clusterId, 'pool-new'))).filter((entry) =>
      entry.startsWith(`${owner}@`),
    );
    for (const entry of unfinished) {
      await this.trash(clusterId, join(STATE_DIR, 'pool-new', entry));
    }
    return unfinished.length;
  }

  async saveVolume(record: VolumeRecord): Promise<void> {
    await writeJson(this.volumeFile(record.clusterId, record.id), record);
    await this.announceChange(record.clusterId, record.id);
  }

  async loadVolume(clusterId: string, volumeId: string): Promise<VolumeRecord | undefined> {
    return VOLUME_DIRECTORY.test(volumeId) ? readJson<VolumeRecord>(this.volumeFile(clusterId, volumeId)) : undefined;
  }

  async removeVolume(clusterId: string, volumeId: string): Promise<void> {
    await rm(this.volumeFile(clusterId, volumeId), { force: true });
    await this.announceChange(clusterId, volumeId);
  }

  async loadVolumes(clusterId: string): Promise<VolumeRecord[]> {
    const ids = (await readdir(this.state(clusterId, 'volumes')))
      .filter((entry) => entry.endsWith('.json'))
      .map((entry) => entry.slice(0, -5));
    return (await inBatches(ids, (id) => this.loadVolume(clusterId, id))).filter((record) => record !== undefined);
  }

  async volumeChanges(clusterId: string): Promise<string[]> {
    return (await readdir(this.state(clusterId, 'changes'))).filter((name) => CHANGE.test(name)).sort();
  }

  /** Every instance has read an announcement by the time it is `maxAgeMs` old. */
  async pruneVolumeChanges(clusterId: string, maxAgeMs: number): Promise<void> {
    const cutoff = Date.now() - maxAgeMs;
    for (const name of await this.volumeChanges(clusterId)) {
      if (Number(name.split('-', 1)[0]) < cutoff) {
        await rm(this.state(clusterId, 'changes', name), { force: true });
      }
    }
  }

  saveOperation(record: OperationRecord): Promise<void> {
    return writeJson(this.operationFile(record.clusterId, record.id), record);
  }

  async loadOperation(clusterId: string, operationId: string): Promise<OperationRecord | undefined> {
    return VOLUME_DIRECTORY.test(operationId)
      ? readJson<OperationRecord>(this.operationFile(clusterId, operationId))
      : undefined;
  }

  async removeOperation(clusterId: string, operationId: string): Promise<void> {
    await rm(this.operationFile(clusterId, operationId), { force: true });
  }

  async loadOperations(clusterId: string): Promise<OperationRecord[]> {
    const names = (await readdir(this.state(clusterId, 'operations'))).filter((name) => name.endsWith('.json'));
    const records = await Promise.all(names.map((name) => this.loadOperation(clusterId, name.slice(0, -5))));
    return records.filter((record) => record !== undefined);
  }

  /** Renames a directory (a path from the root) into the trash as `<name>.<ms>`. */
  private async trash(clusterId: string, path: string): Promise<void> {
    const root = this.topology.volumeRoot(clusterId);
    await rename(join(root, path), this.state(clusterId, 'trash', `${basename(path)}.${Date.now()}`));
  }

  private async announceChange(clusterId: string, volumeId: string): Promise<void> {
    await writeFile(this.state(clusterId, 'changes', `${Date.now()}-${volumeId}`), '');
  }

  private volumeFile(clusterId: string, volumeId: string): string {
    return this.state(clusterId, 'volumes', `${volumeId}.json`);
  }

  private operationFile(clusterId: string, operationId: string): string {
    return this.state(clusterId, 'operations', `${operationId}.json`);
  }

  private state(clusterId: string, ...parts: string[]): string {
    return join(this.topology.volumeRoot(clusterId), STATE_DIR, ...parts);
  }
}
