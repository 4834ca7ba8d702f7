import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';

/** stdout and stderr together: gluster prints some answers ('No volumes present') on stderr. */
const gluster = (...args: string[]) => {
  const result = spawnSync('gluster', ['--mode=script', ...args], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`;
};
const mounted = (target: string) =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === target);

describe(createGlusterTestVolume.name, () => {
  const volumes: GlusterTestVolume[] = [];
  const mountPoint = mkdtempSync(join(tmpdir(), 'piragua-fixture-mnt-'));

  afterAll(async () => {
    for (const volume of volumes) {
      await volume.teardown();
    }
    rmSync(mountPoint, { force: true, recursive: true });
  });

  it('should create a started, quota-enforcing volume that mounts, and tear it down completely', async () => {
    const test = await createGlusterTestVolume();
    volumes.push(test);
    expect(test.server).toBe('127.0.0.2');
    expect(test.volume).toMatch(/^piragua_test_[a-z0-9]+$/);

    const info = gluster('volume', 'info', test.volume);
    expect(info).toContain('Status: Started');
    expect(info).toContain(`Brick1: 127.0.0.2:${test.brickDir}`);
    expect(info).toMatch(/features\.quota: on/);
    expect(info).toMatch(/features\.hard-timeout: 0/);
    expect(info).toMatch(/features\.soft-timeout: 0/);

    execFileSync('mount', ['-t', 'glusterfs', `127.0.0.2:/${test.volume}`, mountPoint]);
    writeFileSync(join(mountPoint, 'hello.txt'), 'hello gluster\n');
    expect(readFileSync(join(test.brickDir, 'hello.txt'), 'utf8')).toBe('hello gluster\n');

    // teardown unmounts what the test left mounted.
    await test.teardown();
    expect(mounted(mountPoint)).toBe(false);
    expect(gluster('volume', 'list')).not.toContain(test.volume);
    expect(existsSync(test.brickDir)).toBe(false);
    await test.teardown();
  });

  it('should unmount the helper mount a failed quota remove leaves behind', async () => {
    const test = await createGlusterTestVolume();
    volumes.push(test);
    expect(gluster('volume', 'quota', test.volume, 'remove', '/missing', '--xml')).toContain(
      'No such file or directory',
    );
    const helper = `/run/gluster/${test.volume}_quota_limit`;
    expect(mounted(helper)).toBe(true);

    await test.teardown();

    expect(mounted(helper)).toBe(false);
  });

  it('should give every call its own volume, also when called at once', async () => {
    const created = await Promise.all([createGlusterTestVolume('piragua_fx'), createGlusterTestVolume('piragua_fx')]);
    volumes.push(...created);
    expect(new Set(created.map((volume) => volume.volume)).size).toBe(2);
    expect(new Set(created.map((volume) => volume.brickDir)).size).toBe(2);
    await Promise.all(created.map((volume) => volume.teardown()));
  });
});
