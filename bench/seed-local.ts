import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { VolumeRecord } from '../src/backends/backend.types.js';
import { VolumeTree } from '../src/gluster/volume-tree.js';

/**
 * Writes `count` ready volumes into a local-backend data directory with the service's own storage
 * code (directory, name, record, quota file), as that many finished creates would leave it.
 */
export async function seedLocalVolumes(dataDir: string, count: number, volumeName = 'local'): Promise<string[]> {
  const tree = new VolumeTree(join(dataDir, volumeName));
  await tree.prepare();
  const clusterId = await tree.readOrCreateId('cluster-id');
  await mkdir(join(tree.root, '.piragua', 'local-quotas'), { recursive: true });
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const id = randomBytes(16).toString('hex');
    const record: VolumeRecord = {
      clusterId,
      createdAt: new Date().toISOString(),
      durability: { replicate: { replica: 3 }, type: 'replicate' },
      id,
      name: `vol_${id}`,
      sizeGiB: 1 + (index % 10),
      snapshot: { enable: false, factor: 1 },
      state: 'ready',
    };
    await tree.claimName(record.name, id);
    await tree.createVolumeDirectory(id, record.name);
    await tree.writeStateFile(join('local-quotas', id), String(record.sizeGiB * 2 ** 30));
    await tree.saveVolume(record);
    ids.push(id);
  }
  // The announcements of a seeded history would long have been pruned by a running service.
  await rm(join(tree.root, '.piragua', 'changes'), { force: true, recursive: true });
  await tree.prepare();
  return ids;
}
