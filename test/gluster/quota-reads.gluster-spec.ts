import { Logger } from '@nestjs/common';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GlusterQuotas } from '../../src/backends/quotas/gluster.quotas.js';
import { FileStateStore } from '../../src/backends/state/file.state-store.js';
import { GlusterTopology } from '../../src/backends/topology/gluster.topology.js';
import { GlusterCli } from '../../src/gluster/gluster-cli.js';
import { appConfig } from '../factories/app-config.factory.js';
import { glusterCli } from '../factories/gluster-cli.factory.js';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { parsePrometheusText, valueOf } from '../prometheus-text.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { eventually, quotaLimits, sh, unmount } from './gluster-shell.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

describe('Quota limits and usage read through statfs, against a real glusterd', () => {
  describe(GlusterQuotas.name, () => {
    const ROOMY = 'a'.repeat(32);
    const NEARLY_FULL = 'b'.repeat(32);
    const FULL = 'c'.repeat(32);
    const BARE = 'd'.repeat(32);
    let gluster: GlusterTestVolume;
    let mountDir: string;
    let cli: GlusterCli;
    let topology: GlusterTopology;
    let store: FileStateStore;
    let sut: GlusterQuotas;
    let clusterId: string;

    /** Writes `count` blocks of `blockBytes`. */
    const write = (directory: string, file: string, blockBytes: number, count: number) =>
      sh('dd', [
        'if=/dev/zero',
        `of=${join(mountDir, gluster.volume, directory, 'data', file)}`,
        `bs=${blockBytes}`,
        `count=${count}`,
        'conv=fsync',
      ]);

    beforeAll(async () => {
      Logger.overrideLogger(false);
      gluster = await createGlusterTestVolume('piragua_statfs');
      mountDir = mkdtempSync(join(tmpdir(), 'piragua-mounts-'));
      const config = appConfig({
        PIRAGUA_BACKEND: 'gluster',
        PIRAGUA_GLUSTER_SERVER: gluster.server,
        PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
        PIRAGUA_MOUNT_DIR: mountDir,
        PIRAGUA_REFRESH_SECONDS: '3600',
      });
      cli = glusterCli(config);
      topology = new GlusterTopology(cli, config);
      await topology.onModuleInit();
      clusterId = topology.clusters()[0].id;
      store = new FileStateStore(topology);
      await store.onModuleInit();
      sut = new GlusterQuotas(cli, topology);
      for (const [directory, limit] of [
        [ROOMY, GIB],
        [NEARLY_FULL, 10 * MIB],
        [FULL, 10 * MIB],
        [BARE, undefined],
      ] as const) {
        await store.createVolumeDirectory(clusterId, directory, 'data');
        if (limit !== undefined) {
          await sut.setQuota(clusterId, directory, limit);
        }
      }
      expect((await write(ROOMY, 'six', MIB, 6)).code).toBe(0);
      // Not a whole block, so that statfs (whole blocks) and quota list (bytes) differ.
      expect((await write(ROOMY, 'odd', 1000, 1)).code).toBe(0);
      expect((await write(NEARLY_FULL, 'nine', MIB, 9)).code).toBe(0);
      // Past its limit, or refused at it: gluster enforces against usage its marker has counted so far.
      await write(FULL, 'twelve', MIB, 12);
      // A limit on a directory that is not a volume's.
      mkdirSync(join(mountDir, gluster.volume, 'elsewhere'));
      expect(
        (await sh('gluster', ['--mode=script', 'volume', 'quota', gluster.volume, 'limit-usage', '/elsewhere', '2GB']))
          .code,
      ).toBe(0);
      await eventually(
        async () => {
          const listed = await quotaLimits(gluster.volume);
          const used = (directory: string) => listed.get(`/${directory}`)?.usedBytes ?? 0;
          return (
            used(ROOMY) > 6 * MIB && used(NEARLY_FULL) >= 9 * MIB && used(FULL) >= 10 * MIB && listed.has('/elsewhere')
          );
        },
        60_000,
        'quota list to count what was written',
      );
    });

    afterEach(() => {
      vi.restoreAllMocks();
    });

    afterAll(async () => {
      topology?.onModuleDestroy();
      if (gluster) {
        await unmount(join(mountDir, gluster.volume));
      }
      await gluster?.teardown();
    });

    it('should read limit and usage as quota list reports them, asking quota list only about the directories at their limit or without one', async () => {
      const listed = await quotaLimits(gluster.volume);
      const { bsize } = await statfs(join(mountDir, gluster.volume));
      const asked = vi.spyOn(cli, 'quotaList');

      const usage = await sut.quotaUsage(clusterId, await store.listVolumeDirectories(clusterId));

      expect([...usage.keys()].sort()).toEqual([ROOMY, NEARLY_FULL, FULL]);
      for (const directory of [ROOMY, NEARLY_FULL]) {
        const reference = listed.get(`/${directory}`)!;
        expect(usage.get(directory)).toMatchObject({
          limitBytes: reference.hardLimitBytes,
          softLimitExceeded: reference.softLimitExceeded,
        });
        // statfs counts whole blocks.
        expect(usage.get(directory)!.usedBytes).toBeLessThanOrEqual(reference.usedBytes);
        expect(usage.get(directory)!.usedBytes).toBeGreaterThan(reference.usedBytes - bsize);
      }
      expect(usage.get(NEARLY_FULL)!.softLimitExceeded).toBe(true);
      expect(usage.get(ROOMY)!.softLimitExceeded).toBe(false);
      // At its limit statfs stops counting; quota list has the usage past it.
      const full = listed.get(`/${FULL}`)!;
      expect(usage.get(FULL)).toEqual({ limitBytes: 10 * MIB, softLimitExceeded: true, usedBytes: full.usedBytes });
      expect(
        asked.mock.calls.flatMap(([volume, paths]) => [paths].flat().map((path) => `${volume}:${path}`)).sort(),
      ).toEqual([`${gluster.volume}:/${FULL}`, `${gluster.volume}:/${BARE}`].sort());
    });

    it('should read the limits of given directories, leaving out the one without a limit after asking quota list about it alone', async () => {
      const asked = vi.spyOn(cli, 'quotaList');

      expect(await sut.directoryLimits(clusterId, [ROOMY, FULL, BARE, 'e'.repeat(32)])).toEqual(
        new Map([
          [ROOMY, GIB],
          [FULL, 10 * MIB],
        ]),
      );
      expect(asked.mock.calls).toEqual([[gluster.volume, [`/${BARE}`]]]);
    });

    it('should list every limit glusterd knows, also on directories that are not volumes', async () => {
      expect(await sut.quotaLimits(clusterId)).toEqual(
        new Map([
          [ROOMY, GIB],
          [NEARLY_FULL, 10 * MIB],
          [FULL, 10 * MIB],
          ['elsewhere', 2 * GIB],
        ]),
      );
    });
  });

  describe('piragua', () => {
    let gluster: GlusterTestVolume;
    let mountDir: string;
    let bin: string;
    let glusterBin: string;
    let glusterCalls: string;
    let server: PiraguaProcess | undefined;
    let admin: HeketiClient;

    const volumeRoot = () => join(mountDir, gluster.volume);
    /** `quota list` of the whole volume, as piragua ran it (through the recording wrapper). */
    const fullQuotaLists = () =>
      readFileSync(glusterCalls, 'utf8')
        .split('\n')
        .filter((line) => line === `--mode=script volume quota ${gluster.volume} list --xml`).length;
    const create = async (name: string) => {
      const result = await admin.async('POST', '/volumes', { name, size: 1 });
      expect(result.final.status, result.final.body).toBe(200);
      return result.final.json<{ cluster: string; id: string }>();
    };
    const removeQuotaByHand = async (volumeId: string) => {
      expect(
        (await sh('gluster', ['--mode=script', 'volume', 'quota', gluster.volume, 'remove', `/${volumeId}`])).code,
      ).toBe(0);
    };
    const limitSeenByStatfs = async (volumeId: string) => {
      const fs = await statfs(join(volumeRoot(), volumeId));
      return fs.blocks * fs.bsize;
    };
    const restart = async (reconcileSeconds: number) => {
      await server?.stop();
      server = await PiraguaProcess.start({
        GLUSTER_CLI: glusterBin,
        PIRAGUA_BACKEND: 'gluster',
        PIRAGUA_GLUSTER_SERVER: gluster.server,
        PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
        PIRAGUA_MOUNT_DIR: mountDir,
        PIRAGUA_RECONCILE_SECONDS: String(reconcileSeconds),
        PIRAGUA_REFRESH_SECONDS: '2',
      });
      admin = new HeketiClient(server.url, ADMIN_KEY);
      return server;
    };

    beforeAll(async () => {
      gluster = await createGlusterTestVolume('piragua_reads');
      mountDir = mkdtempSync(join(tmpdir(), 'piragua-mounts-'));
      // The gluster CLI piragua runs, recording every call.
      bin = mkdtempSync(join(tmpdir(), 'piragua-gluster-wrapper-'));
      glusterBin = join(bin, 'gluster');
      glusterCalls = join(bin, 'calls');
      writeFileSync(glusterCalls, '');
      writeFileSync(glusterBin, `#!/bin/sh\nprintf '%s\\n' "$*" >> ${glusterCalls}\nexec gluster "$@"\n`);
      chmodSync(glusterBin, 0o755);
    });

    afterAll(async () => {
      await server?.stop();
      if (gluster) {
        await unmount(volumeRoot());
      }
      await gluster?.teardown();
      rmSync(bin, { force: true, recursive: true });
    });

    it('should give a volume whose quota was removed by hand its limit back on a periodic pass, without listing every quota', async () => {
      const server = await restart(5);
      // The start-up pass searched for orphan quotas; the next nine periodic passes do not.
      expect(fullQuotaLists()).toBe(1);
      const volume = await create('unlimited_by_hand');
      expect(await limitSeenByStatfs(volume.id)).toBe(GIB);

      await removeQuotaByHand(volume.id);
      expect(await limitSeenByStatfs(volume.id)).not.toBe(GIB);

      await eventually(
        async () => (await limitSeenByStatfs(volume.id)) === GIB,
        30_000,
        'the periodic pass to set the limit again',
      );
      // The pass logs its findings once it is over, and log lines are written asynchronously.
      const repaired = new RegExp(
        `missing-quota ${volume.id}: no quota on a listed volume; its recorded size is 1 GiB \\(repaired\\)`,
      );
      await eventually(() => repaired.test(server.logs), 10_000, 'the repair in the log');
      expect(readFileSync(glusterCalls, 'utf8')).toContain(
        `--mode=script volume quota ${gluster.volume} list /${volume.id} --xml`,
      );
      expect(fullQuotaLists()).toBe(1);
    });

    it('should report on examine that quota list fails once a limited directory is removed by hand, and go on checking and metering the rest', async () => {
      // No periodic pass in the way: the examination is the first to see what follows.
      const server = await restart(3600);
      const metered = await create('metered');
      writeFileSync(join(volumeRoot(), metered.id, 'metered', 'data'), Buffer.alloc(MIB));
      const unlimited = await create('unlimited_too');
      mkdirSync(join(volumeRoot(), 'by-hand'));
      expect(
        (await sh('gluster', ['--mode=script', 'volume', 'quota', gluster.volume, 'limit-usage', '/by-hand', '1GB']))
          .code,
      ).toBe(0);
      rmSync(join(volumeRoot(), 'by-hand'), { recursive: true });
      await removeQuotaByHand(unlimited.id);
      // Gluster 10 cannot list any limit now: it fails on the one whose directory is gone.
      expect(
        (await sh('gluster', ['--mode=script', 'volume', 'quota', gluster.volume, 'list', '--xml'])).code,
      ).not.toBe(0);
      const before = fullQuotaLists();

      const examined = await admin.request('GET', '/internal/state/examine/gluster');

      expect(examined.status).toBe(200);
      expect(examined.json().clusters).toEqual([
        {
          cluster: metered.cluster,
          findings: expect.arrayContaining([
            expect.objectContaining({
              detail: expect.stringContaining('quota list failed'),
              kind: 'quota-list-failed',
              repaired: false,
            }),
            expect.objectContaining({ kind: 'missing-quota', repaired: false, volumeId: unlimited.id }),
          ]),
          volume: gluster.volume,
        },
      ]);
      // More than one when a list ran into the usage refresh's and was retried.
      expect(fullQuotaLists()).toBeGreaterThan(before);
      // Usage still comes in, by statfs.
      const labels = { cluster: metered.cluster, id: metered.id, name: 'metered' };
      await eventually(
        async () =>
          (valueOf(
            parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text()),
            'piragua_volume_quota_used_bytes',
            labels,
          ) ?? 0) >= MIB,
        30_000,
        'the written MiB to show in piragua_volume_quota_used_bytes',
      );
    });
  });
});
