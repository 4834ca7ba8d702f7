import { randomBytes } from 'node:crypto';
import { readdir, readFile, readlink, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inBatches } from './in-batches.js';

export function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Written aside and renamed into place, so a reader on any instance sees the old or the new content whole. */
export async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

export function writeJson(path: string, value: unknown): Promise<void> {
  return writeAtomically(path, `${JSON.stringify(value)}\n`);
}

export async function readJson<T>(path: string): Promise<T | undefined> {
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

/** Creates `<dir>/<key> -> <value>` unless it exists (symlink creation is atomic and exclusive); true if it now holds `value`. */
export async function claimMarker(dir: string, key: string, value: string): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await symlink(value, join(dir, key));
      return true;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) {
        throw error;
      }
    }
    const holder = await markerValue(dir, key);
    // On a Gluster mount two claims at the same moment can each refuse the other and neither stick.
    if (holder !== undefined || attempt === 3) {
      return holder === value;
    }
  }
}

export async function releaseMarker(dir: string, key: string, value: string): Promise<void> {
  if ((await markerValue(dir, key)) !== value) {
    return;
  }
  await unlink(join(dir, key)).catch((error: unknown) => {
    if (!isErrno(error, 'ENOENT')) {
      throw error;
    }
  });
}

export async function markerValue(dir: string, key: string): Promise<string | undefined> {
  try {
    return await readlink(join(dir, key));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      return undefined;
    }
    throw error;
  }
}

export async function markers(dir: string): Promise<Map<string, string>> {
  const keys = await readdir(dir);
  const values = await inBatches(keys, (key) => markerValue(dir, key));
  return new Map(keys.flatMap((key, index) => (values[index] ? [[key, values[index]] as const] : [])));
}
