import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Heartbeat, OperationRecord, VolumeRecord } from './gluster.types.js';
import { inBatches } from './in-batches.js';

const VOLUME_ID = /^[0-9a-f]{32}$/;
/** How the Rust piragua named a volume's top-level directory. */
export const LEGACY_DIRECTORY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CHANGE = /^\d+-[0-9a-f]{32}$/;
const STATE_DIR = '.piragua';

function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * The layout piragua keeps on one mounted volume (or the local backend's directory):
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
export class VolumeTree {
  constructor(readonly root: string) {}

  async prepare(): Promise<void> {
    for (const dir of [
      'changes',
      'instances',
      'locks',
      'names',
      'operations',
      'pool',
      'pool-new',
      'trash',
      'volumes',
    ]) {
      await mkdir(join(this.root, STATE_DIR, dir), { recursive: true });
    }
  }

  async readOrCreateId(file: string): Promise<string> {
    const path = join(this.root, STATE_DIR, file);
    try {
      return (await readFile(path, 'utf8')).trim();
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) {
        throw error;
      }
    }
    // Written aside, then linked into place: the id appears whole or not at all, and the first wins.
    const candidate = randomBytes(16).toString('hex');
    const temporary = `${path}.tmp-${candidate}`;
    await writeFile(temporary, `${candidate}\n`);
    try {
      await link(temporary, path);
      return candidate;
    } catch (error) {
      if (isErrno(error, 'EEXIST')) {
        return (await readFile(path, 'utf8')).trim();
      }
      throw error;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  claimName(name: string, volumeId: string): Promise<boolean> {
    return this.claimMarker('names', name, volumeId);
  }

  releaseName(name: string, volumeId: string): Promise<void> {
    return this.releaseMarker('names', name, volumeId);
  }

  nameOwner(name: string): Promise<string | undefined> {
    return this.markerValue('names', name);
  }

  /** Takes the volume's change lock for an operation; false while another operation holds it. */
  lockVolume(volumeId: string, operationId: string): Promise<boolean> {
    return this.claimMarker('locks', volumeId, operationId);
  }

  unlockVolume(volumeId: string, operationId: string): Promise<void> {
    return this.releaseMarker('locks', volumeId, operationId);
  }

  volumeLockHolder(volumeId: string): Promise<string | undefined> {
    return this.markerValue('locks', volumeId);
  }

  /** Every name reservation: name -> volume id. */
  names(): Promise<Map<string, string>> {
    return this.markers('names');
  }

  /** Every held volume lock: volume id -> operation id; one directory read, however many volumes there are. */
  locks(): Promise<Map<string, string>> {
    return this.markers('locks');
  }

  /** Top-level volume directories (ids, and the Rust piragua's dashed uuids), with or without a record. */
  async volumeDirectories(): Promise<string[]> {
    return (await readdir(this.root)).filter((name) => VOLUME_ID.test(name) || LEGACY_DIRECTORY.test(name));
  }

  /** The one directory below `directory` (what Kubernetes mounts), its group and age; never changes anything. */
  async inspectVolumeDirectory(
    directory: string,
  ): Promise<{ createdAt: string; gid: number; name: string } | undefined> {
    const top = join(this.root, directory);
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

  /** `pooled`: `<id>/` is a pooled directory already claimed for this volume; otherwise it must not exist. */
  async createVolumeDirectory(volumeId: string, name: string, gid?: number, pooled = false): Promise<void> {
    const top = join(this.root, volumeId);
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

  /** Renames `<id>` into the trash; a missing directory is already gone, which is fine. */
  async trashVolumeDirectory(volumeId: string): Promise<void> {
    await this.trashPath(volumeId).catch((error: unknown) => {
      if (!isErrno(error, 'ENOENT')) {
        throw error;
      }
    });
  }

  /** Starts a pool directory; its path from the root, for the quota, is returned. */
  async beginPooledDirectory(owner: string): Promise<string> {
    const path = join(STATE_DIR, 'pool-new', `${owner}@${randomBytes(8).toString('hex')}`);
    await mkdir(join(this.root, path));
    return path;
  }

  /** Puts a directory whose quota is set and checked into the pool, where creates find it. */
  async finishPooledDirectory(path: string, sizeGiB: number): Promise<void> {
    const sizeDir = join(this.root, STATE_DIR, 'pool', String(sizeGiB));
    await mkdir(sizeDir, { recursive: true });
    await rename(join(this.root, path), join(sizeDir, basename(path)));
  }

  /**
   * Renames one pooled directory of that size to `<id>/`; its quota goes with it. Instances race
   * for entries by rename, which only one wins; each starts at a random entry to race less.
   */
  async claimPooledDirectory(sizeGiB: number, volumeId: string): Promise<boolean> {
    const sizeDir = join(this.root, STATE_DIR, 'pool', String(sizeGiB));
    const entries = await readdir(sizeDir).catch((error: unknown) =>
      isErrno(error, 'ENOENT') ? [] : Promise.reject(error as Error),
    );
    const start = Math.floor(Math.random() * entries.length);
    for (let index = 0; index < entries.length; index += 1) {
      try {
        await rename(join(sizeDir, entries[(start + index) % entries.length]), join(this.root, volumeId));
        return true;
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) {
          throw error;
        }
      }
    }
    return false;
  }

  /** Ready pool directories by size in GiB. */
  async pooledDirectoryCounts(): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (const size of await readdir(join(this.root, STATE_DIR, 'pool'))) {
      if (/^[1-9]\d*$/.test(size)) {
        counts.set(Number(size), (await readdir(join(this.root, STATE_DIR, 'pool', size))).length);
      }
    }
    return counts;
  }

  /** Moves the pool directories `owner` began and never finished into the trash, with any quota they got. */
  async discardUnfinishedPooledDirectories(owner: string): Promise<number> {
    const unfinished = (await readdir(join(this.root, STATE_DIR, 'pool-new'))).filter((entry) =>
      entry.startsWith(`${owner}@`),
    );
    for (const entry of unfinished) {
      await this.trashPath(join(STATE_DIR, 'pool-new', entry));
    }
    return unfinished.length;
  }

  /** Renames any directory (a path from the root) into the trash. */
  async trashPath(path: string): Promise<void> {
    await rename(join(this.root, path), join(this.root, STATE_DIR, 'trash', `${basename(path)}.${Date.now()}`));
  }

  /**
   * Deletes the trashed trees (`<directory>.<ms>`). `before` gets each one's path from the volume
   * root first: the Gluster backend drops the quota the directory took along.
   */
  async purgeTrash(before: (path: string) => Promise<void> = () => Promise.resolve()): Promise<number> {
    const entries = await readdir(join(this.root, STATE_DIR, 'trash'));
    for (const entry of entries) {
      await before(`/${STATE_DIR}/trash/${entry}`);
      await rm(join(this.root, STATE_DIR, 'trash', entry), { recursive: true, force: true, maxRetries: 3 });
    }
    return entries.length;
  }

  async saveVolume(record: VolumeRecord): Promise<void> {
    await this.writeJson(this.volumeFile(record.id), record);
    await this.announceChange(record.id);
  }

  async loadVolume(volumeId: string): Promise<VolumeRecord | undefined> {
    return VOLUME_ID.test(volumeId) ? this.readJson<VolumeRecord>(this.volumeFile(volumeId)) : undefined;
  }

  async removeVolume(volumeId: string): Promise<void> {
    await rm(this.volumeFile(volumeId), { force: true });
    await this.announceChange(volumeId);
  }

  /** Change announcements, oldest first: `<ms>-<volume id>`. */
  async changes(): Promise<string[]> {
    return (await readdir(join(this.root, STATE_DIR, 'changes'))).filter((name) => CHANGE.test(name)).sort();
  }

  /** Removes announcements older than `maxAgeMs`; every instance has read them by then. */
  async pruneChanges(maxAgeMs: number): Promise<void> {
    const cutoff = Date.now() - maxAgeMs;
    for (const name of await this.changes()) {
      if (Number(name.split('-', 1)[0]) < cutoff) {
        await rm(join(this.root, STATE_DIR, 'changes', name), { force: true });
      }
    }
  }

  async loadVolumes(): Promise<VolumeRecord[]> {
    const ids = (await readdir(join(this.root, STATE_DIR, 'volumes')))
      .filter((entry) => entry.endsWith('.json'))
      .map((entry) => entry.slice(0, -5));
    return (await inBatches(ids, (id) => this.loadVolume(id))).filter((record) => record !== undefined);
  }

  async saveOperation(record: OperationRecord): Promise<void> {
    await this.writeJson(this.operationFile(record.id), record);
  }

  async loadOperation(operationId: string): Promise<OperationRecord | undefined> {
    return VOLUME_ID.test(operationId) ? this.readJson<OperationRecord>(this.operationFile(operationId)) : undefined;
  }

  async removeOperation(operationId: string): Promise<void> {
    await rm(this.operationFile(operationId), { force: true });
  }

  async loadOperations(): Promise<OperationRecord[]> {
    const names = await readdir(join(this.root, STATE_DIR, 'operations'));
    const records = await Promise.all(
      names.filter((name) => name.endsWith('.json')).map((name) => this.loadOperation(name.slice(0, -5))),
    );
    return records.filter((record): record is OperationRecord => record !== undefined);
  }

  /** Writes a small file under the state directory, for backends that keep more state there. */
  async writeStateFile(name: string, content: string): Promise<void> {
    await this.writeAtomically(join(this.root, STATE_DIR, name), content);
  }

  async readStateFile(name: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.root, STATE_DIR, name), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) {
        return undefined;
      }
      throw error;
    }
  }

  async removeStateFile(name: string): Promise<void> {
    await rm(join(this.root, STATE_DIR, name), { force: true });
  }

  async exists(relativePath: string): Promise<boolean> {
    try {
      await lstat(join(this.root, relativePath));
      return true;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) {
        return false;
      }
      throw error;
    }
  }

  /** Bytes used below a volume's top directory, summed file by file. */
  async usedBytes(volumeId: string): Promise<number> {
    let total = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          await walk(path);
        } else {
          total += (await lstat(path)).size;
        }
      }
    };
    await walk(join(this.root, volumeId)).catch((error: unknown) => {
      if (!isErrno(error, 'ENOENT')) {
        throw error;
      }
    });
    return total;
  }

  async saveHeartbeat(heartbeat: Heartbeat): Promise<void> {
    await this.writeJson(join(this.root, STATE_DIR, 'instances', `${heartbeat.instanceId}.json`), heartbeat);
  }

  async loadHeartbeats(): Promise<Heartbeat[]> {
    const dir = join(this.root, STATE_DIR, 'instances');
    const heartbeats: Heartbeat[] = [];
    for (const name of (await readdir(dir)).filter((entry) => entry.endsWith('.json'))) {
      const heartbeat = await this.readJson<Heartbeat>(join(dir, name)).catch(() => undefined);
      if (heartbeat) {
        heartbeats.push(heartbeat);
      }
    }
    return heartbeats;
  }

  private async markers(kind: string): Promise<Map<string, string>> {
    const keys = await readdir(join(this.root, STATE_DIR, kind));
    const values = await inBatches(keys, (key) => this.markerValue(kind, key));
    return new Map(keys.flatMap((key, index) => (values[index] ? [[key, values[index]] as const] : [])));
  }

  /** Creates `<kind>/<key> -> <value>` unless it exists; true if it now holds `value`. */
  private async claimMarker(kind: string, key: string, value: string): Promise<boolean> {
    try {
      await symlink(value, join(this.root, STATE_DIR, kind, key));
      return true;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) {
        throw error;
      }
    }
    return (await this.markerValue(kind, key)) === value;
  }

  private async releaseMarker(kind: string, key: string, value: string): Promise<void> {
    if ((await this.markerValue(kind, key)) === value) {
      await unlink(join(this.root, STATE_DIR, kind, key)).catch((error: unknown) => {
        if (!isErrno(error, 'ENOENT')) {
          throw error;
        }
      });
    }
  }

  private async markerValue(kind: string, key: string): Promise<string | undefined> {
    try {
      return await readlink(join(this.root, STATE_DIR, kind, key));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) {
        return undefined;
      }
      throw error;
    }
  }

  private async announceChange(volumeId: string): Promise<void> {
    await writeFile(join(this.root, STATE_DIR, 'changes', `${Date.now()}-${volumeId}`), '');
  }

  private volumeFile(volumeId: string): string {
    return join(this.root, STATE_DIR, 'volumes', `${volumeId}.json`);
  }

  private operationFile(operationId: string): string {
    return join(this.root, STATE_DIR, 'operations', `${operationId}.json`);
  }

  private async writeJson(path: string, value: unknown): Promise<void> {
    await this.writeAtomically(path, `${JSON.stringify(value)}\n`);
  }

  private async writeAtomically(path: string, content: string): Promise<void> {
    const temporary = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(temporary, content);
    await rename(temporary, path);
  }

  private async readJson<T>(path: string): Promise<T | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as T;
      } catch (error) {
        if (isErrno(error, 'ENOENT', 'ENOTDIR')) {
          return undefined;
        }
        // Another instance replaced the file (write and rename) between our lookup and our open.
        if (!isErrno(error, 'ESTALE') || attempt === 3) {
          throw error;
        }
      }
    }
  }
}
