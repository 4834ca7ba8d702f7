import { Logger } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { GlusterQuotas } from '../../src/backends/quotas/gluster.quotas.js';
import { FileStateStore } from '../../src/backends/state/file.state-store.js';
import { GlusterTopology } from '../../src/backends/topology/gluster.topology.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { GlusterCli } from '../../src/gluster/gluster-cli.js';
import { describeQuotaContract } from '../contracts/quota-backend.contract.js';
import { describeTopologyContract } from '../contracts/topology-backend.contract.js';
import { describeVolumeStateContract } from '../contracts/volume-state.contract.js';
import { appConfig } from '../factories/app-config.factory.js';
import { glusterCli } from '../factories/gluster-cli.factory.js';
import { createGlusterTestVolume, type GlusterTestVolume } from './gluster-volume.fixture.js';
import { unmount } from './gluster-shell.js';

/**
 * The Gluster implementations of the three ports, wired as the gluster backend wires them, on one
 * throwaway volume that every case leaves empty for the next.
 */
describe('The storage ports against a real glusterd', () => {
  let gluster: GlusterTestVolume;
  let config: AppConfig;
  let cli: GlusterCli;
  let topology: GlusterTopology;
  let quotas: GlusterQuotas;
  let store: FileStateStore;
  let clusterId: string;
  let root: string;
  const restarted: GlusterTopology[] = [];

  /** Empties the volume for the next case: limits first (Gluster keeps a deleted directory's), then every entry. */
  const wipe = async (withLimits: boolean) => {
    restarted.splice(0).forEach((again) => again.onModuleDestroy());
    if (withLimits) {
      for (const path of (await quotas.quotaLimits(clusterId)).keys()) {
        await quotas.removeQuota(clusterId, path);
      }
    }
    for (const entry of await readdir(root)) {
      await rm(join(root, entry), { force: true, maxRetries: 3, recursive: true });
    }
    await store.onModuleInit();
  };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    gluster = await createGlusterTestVolume('piragua_contracts');
    config = appConfig({
      PIRAGUA_BACKEND: 'gluster',
      PIRAGUA_GLUSTER_SERVER: gluster.server,
      PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
      PIRAGUA_MOUNT_DIR: mkdtempSync(join(tmpdir(), 'piragua-mounts-')),
      PIRAGUA_REFRESH_SECONDS: '3600',
    });
    cli = glusterCli(config);
    topology = new GlusterTopology(cli, config);
    await topology.onModuleInit();
    clusterId = topology.clusters()[0].id;
    root = topology.volumeRoot(clusterId);
    quotas = new GlusterQuotas(cli, topology);
    store = new FileStateStore(topology);
    await store.onModuleInit();
  });

  afterAll(async () => {
    topology?.onModuleDestroy();
    if (root) {
      await unmount(root);
    }
    await gluster?.teardown();
  });

  describeTopologyContract('GlusterTopology', async () => ({
    cleanup: () => wipe(false),
    restart: async () => {
      const again = new GlusterTopology(cli, config);
      restarted.push(again);
      await again.onModuleInit();
      return again;
    },
    topology,
    volumeName: gluster.volume,
  }));

  describeQuotaContract('GlusterQuotas', async () => ({ cleanup: () => wipe(true), clusterId, quotas, store }));

  describeVolumeStateContract('FileStateStore on a Gluster mount', async () => ({
    another: () => new FileStateStore(topology),
    cleanup: () => wipe(false),
    clusterId,
    store,
  }));
});
