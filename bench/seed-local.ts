import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GIB, type VolumeRecord } from '../src/backends/backend.types.js';
import { LocalQuotas } from '../src/backends/quotas/local.quotas.js';
import { FileStateStore } from '../src/backends/state/file.state-store.js';
import { LocalTopology } from '../src/backends/topology/local.topology.js';
import { appConfig } from '../test/factories/app-config.factory.js';

/**
 * Writes `count` ready volumes into a local-backend data directory with the service's own storage
 * code (directory, name, record, quota), as that many finished creates would leave it.
 */
export async function seedLocalVolumes(dataDir: string, count: number, volumeName = 'local'): Promise<string[]> {
  const topology = new LocalTopology(appConfig({ PIRAGUA_DATA_DIR: dataDir, PIRAGUA_LOCAL_VOLUME_NAME: volumeName }));
  await topology.onModuleInit();
  try {
    const store = new FileStateStore(topology);
    await store.onModuleInit();
    const quotas = new LocalQuotas(topology);
    const clusterId = topology.clusters()[0].id;
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
      await store.claimName(clusterId, record.name, id);
      await store.createVolumeDirectory(clusterId, id, record.name);
      await quotas.setQuota(clusterId, id, record.sizeGiB * GIB);
      await store.saveVolume(record);
      ids.push(id);
    }
    // The announcements of a seeded history would long have been pruned by a running service.
    await rm(join(topology.volumeRoot(clusterId), '.piragua', 'changes'), { force: true, recursive: true });
    await store.onModuleInit();
    return ids;
  } finally {
    topology.onModuleDestroy();
  }
}
