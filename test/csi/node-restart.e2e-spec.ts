import { execFileSync } from 'node:child_process';
import { readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsUnder } from './node-plugin.js';
import { exists, NodeScene } from './node-scene.js';

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`not within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

describe('CSI node service across plugin restarts (local backend)', () => {
  let scene: NodeScene;

  beforeAll(async () => {
    scene = await NodeScene.create();
  });

  afterAll(async () => {
    await scene?.teardown();
  });

  const records = async () =>
    Object.keys(
      (JSON.parse(await readFile(join(scene.stateDir, 'published-targets.json'), 'utf8')) as { targets: object })
        .targets,
    );

  it('should remember its targets after a crash: publish again is OK, unpublish unmounts and removes', async () => {
    const vol = await scene.volume();
    const target = await scene.target();
    await scene.publish(vol, target, { mount_flags: ['noexec'] });
    await scene.plugin.stop('SIGKILL');
    scene.plugin = await scene.startPlugin();
    await scene.publish(vol, target, { mount_flags: ['noexec'] });
    expect(await mountsUnder(target)).toEqual([target]);
    await scene.unpublish(vol, target);
    expect(await mountsUnder(target)).toEqual([]);
    expect(await exists(target)).toBe(false);
  });

  it('should mount a recorded target again when it starts, without any CSI call', async () => {
    const vol = await scene.volume();
    const target = await scene.target();
    await scene.publish(vol, target);
    await writeFile(join(vol.dir, 'data'), 'still here');
    await scene.plugin.stop('SIGKILL');
    execFileSync('umount', [target]);
    expect(await exists(join(target, 'data'))).toBe(false);
    scene.plugin = await scene.startPlugin();
    await eventually(() => exists(join(target, 'data')), 10_000);
    expect(await readFile(join(target, 'data'), 'utf8')).toBe('still here');
    expect(scene.plugin.logs).toMatch(/was not mounted; mounted .* again \(start\)/);
    await scene.unpublish(vol, target);
  });

  it('should forget a target whose directory kubelet removed while it was down', async () => {
    const vol = await scene.volume();
    const target = await scene.target();
    await scene.publish(vol, target);
    expect(await records()).toContain(target);
    await scene.plugin.stop('SIGKILL');
    execFileSync('umount', [target]);
    await rmdir(target);
    scene.plugin = await scene.startPlugin();
    await eventually(async () => !(await records()).includes(target), 10_000);
    expect(await exists(target)).toBe(false);
    expect(await mountsUnder(scene.root)).toEqual([]);
  });
});
