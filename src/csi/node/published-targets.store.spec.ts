import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PublishedTarget, PublishedTargetsStore } from './published-targets.store.js';

const ID = 'a'.repeat(32);
const record = (device: string): PublishedTarget => ({
  createdTarget: true,
  plan: { device, fstype: 'glusterfs', options: ['backup-volfile-servers=s2', 'ro'] },
  volumeId: ID,
});

describe(PublishedTargetsStore.name, () => {
  let dir: string;
  let stateDir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'piragua-node-state-'));
    stateDir = join(dir, 'csi');
  });

  afterEach(async () => {
    await rm(dir, { force: true, recursive: true });
  });

  async function reloaded(): Promise<PublishedTargetsStore> {
    const store = new PublishedTargetsStore(stateDir);
    await store.load();
    return store;
  }

  it('should start empty without a state file, creating nothing', async () => {
    expect((await reloaded()).entries()).toEqual([]);
    await expect(stat(stateDir)).rejects.toThrow('ENOENT');
  });

  it('should keep what was put and forget what was removed, across a restart', async () => {
    const store = await reloaded();
    await store.put('/pods/a/mount', record('s1:/gv0/x/a'));
    await store.put('/pods/b/mount', record('s1:/gv0/x/b'));
    await store.remove('/pods/a/mount');
    const again = await reloaded();
    expect(again.entries()).toEqual([['/pods/b/mount', record('s1:/gv0/x/b')]]);
    expect(again.get('/pods/a/mount')).toBeUndefined();
  });

  it('should persist every one of many concurrent changes, leaving no temporary file, readable by root only', async () => {
    const store = await reloaded();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`/pods/${i}/mount`, record(`s:/v/${i}`))));
    expect((await reloaded()).entries()).toHaveLength(20);
    expect(await readdir(stateDir)).toEqual(['published-targets.json']);
    expect((await stat(join(stateDir, 'published-targets.json'))).mode & 0o777).toBe(0o600);
  });

  it('should move a corrupt file aside and start empty', async () => {
    const store = await reloaded();
    await store.put('/pods/a/mount', record('s:/v/a'));
    await writeFile(join(stateDir, 'published-targets.json'), '{"version":1,"targets":');
    expect((await reloaded()).entries()).toEqual([]);
    const files = await readdir(stateDir);
    expect(files.filter((file) => file.startsWith('published-targets.json.corrupt-'))).toHaveLength(1);
  });

  it('should drop records that are not targets and keep the others', async () => {
    const store = await reloaded();
    await store.put('/pods/a/mount', record('s:/v/a'));
    const file = join(stateDir, 'published-targets.json');
    const content = JSON.parse(await readFile(file, 'utf8')) as { targets: Record<string, unknown> };
    content.targets['relative/path'] = record('s:/v/b');
    content.targets['/pods/c/mount'] = { plan: { device: 1, fstype: 'nfs' }, volumeId: ID };
    await writeFile(file, JSON.stringify(content));
    expect((await reloaded()).entries().map(([target]) => target)).toEqual(['/pods/a/mount']);
  });
});
