import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlusterTestVolume } from './gluster-volume.fixture.js';
import { kubeletMount, sh, unmount } from './gluster-shell.js';

/** Makes `/<id>/<name>` with a quota on `/<id>`, as piragua's controller does, and returns its volume_context. */
export async function makeVolumeDirectory(
  gluster: GlusterTestVolume,
  id: string,
  name: string,
  limit = '10MB',
): Promise<Record<string, string>> {
  const whole = await mkdtemp(join(tmpdir(), 'piragua-whole-'));
  await kubeletMount(`${gluster.server}:/${gluster.volume}`, gluster.server, whole);
  try {
    await mkdir(join(whole, id, name), { recursive: true });
  } finally {
    await unmount(whole);
    await rm(whole, { force: true, recursive: true });
  }
  const quota = await sh('gluster', [
    '--mode=script',
    'volume',
    'quota',
    gluster.volume,
    'limit-usage',
    `/${id}`,
    limit,
  ]);
  if (quota.code !== 0) {
    throw new Error(`quota limit-usage /${id} failed: ${quota.stdout}${quota.stderr}`);
  }
  return { backend: 'gluster', glusterServers: gluster.server, glusterVolume: gluster.volume, path: `${id}/${name}` };
}
