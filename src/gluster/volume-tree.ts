import { randomBytes } from 'node:crypto';
import { chmod, chown, link, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OperationRecord, VolumeRecord } from './gluster.types.js';

const VOLUME_ID = /^[0-9a-f]{32}$/;
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
 *   <root>/.piragua/operations/<op>.json   async operations, so any instance can answer /queue
 *   <root>/.piragua/trash/<id>             deleted volumes waiting to be purged
 */
export class VolumeTree {
  constructor(readonly root: string) {}

  async prepare(): Promise<void> {
    for (const dir of ['names', 'operations', 'trash', 'volumes']) {
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

  async claimName(name: string, volumeId: string): Promise<boolean> {
    const marker = this.nameMarker(name);
    try {
      await symlink(volumeId, marker);
      return true;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) {
        throw error;
      }
    }
    return (await this.nameOwner(name)) === volumeId;
  }

  async releaseName(name: string, volumeId: string): Promise<void> {
    if ((await this.nameOwner(name)) === volumeId) {
      await unlink(this.nameMarker(name)).catch((error: unknown) => {
        if (!isErrno(error, 'ENOENT')) {
          throw error;
        }
      });
    }
  }

  async nameOwner(name: string): Promise<string | undefined> {
    try {
      return await readlink(this.nameMarker(name));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) {
        return undefined;
      }
      throw error;
    }
  }

  /** Every name reservation: name -> volume id. */
  async names(): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const name of await readdir(join(this.root, STATE_DIR, 'names'))) {
      const owner = await this.nameOwner(name);
      if (owner) {
        names.set(name, owner);
      }
    }
    return names;
  }

  /** Ids of the top-level volume directories, with or without a record. */
  async volumeDirectories(): Promise<string[]> {
    return (await readdir(this.root)).filter((name) => VOLUME_ID.test(name));
  }

  async createVolumeDirectory(volumeId: string, name: string, gid?: number): Promise<void> {
    const top = join(this.root, volumeId);
    await mkdir(top);
    const volumeDir = join(top, name);
    await mkdir(volumeDir);
    if (gid !== undefined) {
      const { uid } = await stat(volumeDir);
      await chown(volumeDir, uid, gid);
    }
    // chown may clear the setgid bit, so the mode is set last.
    await chmod(volumeDir, 0o2775);
  }

  /** Renames `<id>` into the trash; a missing directory is already gone, which is fine. */
  async trashVolumeDirectory(volumeId: string): Promise<void> {
    const target = join(this.root, STATE_DIR, 'trash', `${volumeId}.${Date.now()}`);
    await rename(join(this.root, volumeId), target).catch((error: unknown) => {
      if (!isErrno(error, 'ENOENT')) {
        throw error;
      }
    });
  }

  async purgeTrash(): Promise<number> {
    const trash = join(this.root, STATE_DIR, 'trash');
    const entries = await readdir(trash);
    for (const entry of entries) {
      await rm(join(trash, entry), { recursive: true, force: true, maxRetries: 3 });
    }
    return entries.length;
  }

  async saveVolume(record: VolumeRecord): Promise<void> {
    await this.writeJson(this.volumeFile(record.id), record);
  }

  async loadVolume(volumeId: string): Promise<VolumeRecord | undefined> {
    return VOLUME_ID.test(volumeId) ? this.readJson<VolumeRecord>(this.volumeFile(volumeId)) : undefined;
  }

  async removeVolume(volumeId: string): Promise<void> {
    await rm(this.volumeFile(volumeId), { force: true });
  }

  async loadVolumes(): Promise<VolumeRecord[]> {
    const records: VolumeRecord[] = [];
    for (const entry of await readdir(join(this.root, STATE_DIR, 'volumes'))) {
      const record = entry.endsWith('.json') ? await this.loadVolume(entry.slice(0, -5)) : undefined;
      if (record) {
        records.push(record);
      }
    }
    return records;
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

  private nameMarker(name: string): string {
    return join(this.root, STATE_DIR, 'names', name);
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
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T;
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) {
        return undefined;
      }
      throw error;
    }
  }
}
