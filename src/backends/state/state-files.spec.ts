import { mkdtemp, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { claimMarker } from './state-files.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, symlink: vi.fn(actual.symlink) };
});

const eexist = () => Object.assign(new Error('EEXIST: file already exists'), { code: 'EEXIST' });

describe(claimMarker.name, () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'markers-'));
  });

  afterEach(async () => {
    vi.mocked(symlink).mockClear();
    await rm(dir, { force: true, recursive: true });
  });

  it('should try again when the marker it was refused for is not there (a concurrent claim that did not stick)', async () => {
    vi.mocked(symlink).mockRejectedValueOnce(eexist());

    expect(await claimMarker(dir, 'name', 'mine')).toBe(true);
    expect(await readlink(join(dir, 'name'))).toBe('mine');
    expect(symlink).toHaveBeenCalledTimes(2);
  });

  it('should give up after three refusals with no marker to show for them', async () => {
    vi.mocked(symlink).mockRejectedValueOnce(eexist()).mockRejectedValueOnce(eexist()).mockRejectedValueOnce(eexist());

    expect(await claimMarker(dir, 'name', 'mine')).toBe(false);
    expect(symlink).toHaveBeenCalledTimes(3);
  });

  it('should not try again when another value holds the marker', async () => {
    await claimMarker(dir, 'name', 'theirs');
    vi.mocked(symlink).mockClear();

    expect(await claimMarker(dir, 'name', 'mine')).toBe(false);
    expect(symlink).toHaveBeenCalledTimes(1);
  });
});
