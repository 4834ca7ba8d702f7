import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statfsWithin } from './statfs.probe.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('statfsWithin', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'piragua-statfs-'));
  });

  afterAll(async () => {
    await rm(dir, { force: true, recursive: true });
  });

  /** A stand-in for `stat` that behaves like one stuck on a hung FUSE mount, and tells its pid. */
  async function hangingStat(): Promise<string> {
    const script = join(dir, 'hanging-stat');
    await writeFile(script, `#!/bin/sh\necho $$ > ${join(dir, 'pid')}\nexec sleep 60\n`);
    await chmod(script, 0o755);
    return script;
  }

  it('should read the figures of a real file system', async () => {
    const result = await statfsWithin(dir, 5000);
    expect(result.state).toBe('ok');
    if (result.state === 'ok') {
      expect(result.stats.totalBytes).toBeGreaterThan(0);
      expect(result.stats.availableBytes).toBeLessThanOrEqual(result.stats.totalBytes);
    }
  });

  it('should fail, not call the mount dead, for a path that does not exist', async () => {
    expect(await statfsWithin(join(dir, 'missing'), 5000)).toMatchObject({
      message: expect.stringContaining('No such file or directory'),
      state: 'failed',
    });
  });

  it('should answer timeout on time and kill a statfs that does not return', async () => {
    const started = Date.now();
    expect(await statfsWithin(dir, 300, await hangingStat())).toEqual({ state: 'timeout', timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    const pid = Number(await readFile(join(dir, 'pid'), 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);
  });
});
