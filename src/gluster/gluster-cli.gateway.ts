import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { PeriodicTask } from '../common/periodic-task.js';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import { AppConfig } from '../config/app-config.js';
import { DEFAULT_SOFT_LIMIT_PERCENT, type DirectorySpace, readDirectoryQuotas } from './directory-quotas.js';
import { GlusterCli } from './gluster-cli.js';
import { KeyedBatcher } from './keyed-batcher.js';
import { clusterNotFound } from './gluster.errors.js';
import { type ClusterTopology, GIB, type NodeTopology, type ProbeResult, type QuotaUsage } from './gluster.types.js';
import type { QuotaLimit } from './parsers/quota-list.parser.js';
import type { GlusterVolumeInfo } from './parsers/volume-info.parser.js';
import { TreeBackedGateway } from './tree-backed.gateway.js';
import { VolumeTree } from './volume-tree.js';

interface ServedVolume {
  info: GlusterVolumeInfo;
  quotaReads: KeyedBatcher<QuotaLimit>;
  mountPoint: string;
  topology: ClusterTopology;
  tree: VolumeTree;
}

const QUOTA_OPTION = 'features.quota';
const SOFT_LIMIT_OPTION = 'features.default-soft-limit';

/** Heketi ids are 32 hex characters; a Gluster uuid without its dashes is one. */
export function idFromUuid(uuid: string): string {
  return uuid.replaceAll('-', '').toLowerCase();
}

/** A stable id for a brick, the same on every instance. */
function deviceId(volumeId: string, peerUuid: string, path: string): string {
  return createHash('sha256').update(`${volumeId}:${peerUuid}:${path}`).digest('hex').slice(0, 32);
}

async function toAddress(host: string): Promise<string> {
  if (isIP(host)) {
    return host;
  }
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    return host;
  }
}

/**
 * Volumes as quota-limited directories on existing Gluster volumes: the directory tree through a
 * FUSE mount piragua keeps under PIRAGUA_MOUNT_DIR, quotas and topology through the gluster CLI.
 */
@Injectable()
export class GlusterCliGateway extends TreeBackedGateway implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(GlusterCliGateway.name);
  private readonly served = new Map<string, ServedVolume>();
  private timer?: PeriodicTask;

  constructor(
    private readonly cli: GlusterCli,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    for (const volume of this.config.gluster.volumes) {
      let info = await this.cli.volumeInfo(volume);
      if (info.options[QUOTA_OPTION] !== 'on' && this.config.gluster.enableQuota) {
        this.logger.warn(`Enabling quota on Gluster volume ${volume} (PIRAGUA_ENABLE_QUOTA=true)`);
        await this.cli.enableQuota(volume);
        info = await this.cli.volumeInfo(volume);
      }
      const mountPoint = join(this.config.gluster.mountDir, volume);
      await this.ensureMounted(volume, mountPoint);
      const tree = new VolumeTree(mountPoint);
      await tree.prepare();
      const quotaReads = new KeyedBatcher<QuotaLimit>(
        async (paths) => new Map((await this.cli.quotaList(volume, paths)).map((limit) => [limit.path, limit])),
      );
      const served: ServedVolume = {
        info,
        mountPoint,
        quotaReads,
        topology: await this.readTopology(info, mountPoint),
        tree,
      };
      this.served.set(served.topology.id, served);
      this.logger.log(
        `Serving Gluster volume ${volume} (${info.type}, ${info.status}, quota ${info.options[QUOTA_OPTION] ?? 'off'}) as cluster ${served.topology.id}, mounted at ${mountPoint}`,
      );
    }
    this.timer = new PeriodicTask(this.config.refreshIntervalMs, () => this.refresh()).start();
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  clusters(): ClusterTopology[] {
    return [...this.served.values()].map((served) => served.topology);
  }

  assertCanProvision(clusterId: string): void {
    const { info } = this.servedVolume(clusterId);
    if (info.status !== 'Started') {
      throw new PiraguaError(ErrorCode.Failed, `Gluster volume ${info.name} is not started`);
    }
    if (info.options[QUOTA_OPTION] !== 'on') {
      throw new PiraguaError(
        ErrorCode.Failed,
        `quota is not enabled on Gluster volume ${info.name}: run 'gluster volume quota ${info.name} enable', or set PIRAGUA_ENABLE_QUOTA=true`,
      );
    }
  }

  probeNames(): string[] {
    return [
      'glusterd',
      ...this.config.gluster.volumes.flatMap((volume) => [`${volume}:started`, `${volume}:quota`, `${volume}:mount`]),
    ];
  }

  async probe(name: string): Promise<ProbeResult> {
    if (name === 'glusterd') {
      const peers = await this.cli.poolList();
      return { details: { peers: peers.length, connected: peers.filter((peer) => peer.connected).length }, ok: true };
    }
    const [volume, check] = name.split(':');
    const served = [...this.served.values()].find((candidate) => candidate.info.name === volume);
    if (!served) {
      return { ok: false, problem: `Gluster volume ${volume} could not be read at start-up` };
    }
    if (check === 'mount') {
      return this.probeMount(served);
    }
    served.info = await this.cli.volumeInfo(served.info.name);
    if (check === 'started') {
      return served.info.status === 'Started'
        ? { ok: true }
        : { ok: false, problem: `volume is ${served.info.status}` };
    }
    return served.info.options[QUOTA_OPTION] === 'on'
      ? { ok: true }
      : { ok: false, problem: `quota is not enabled: run 'gluster volume quota ${volume} enable'` };
  }

  async setQuota(clusterId: string, volumeId: string, limitBytes: number): Promise<void> {
    await this.cli.setQuotaLimit(this.servedVolume(clusterId).info.name, `/${volumeId}`, limitBytes);
  }

  /**
   * The limit in effect on a directory. With features.quota-deem-statfs on (Gluster's default),
   * statfs on a limited directory answers its limit, at once and through every mount: one FUSE
   * round trip (about 2 ms here) instead of a `quota list` (about 130 ms, and glusterd's time).
   * A directory that shows the whole volume has no limit or the option is off: `quota list` then
   * decides, and read-backs of concurrent creates share one such call per volume.
   */
  async readQuota(clusterId: string, directory: string): Promise<number | undefined> {
    const served = this.servedVolume(clusterId);
    const [inside, whole] = await Promise.all([
      statfs(join(served.mountPoint, directory)).catch(() => undefined),
      statfs(served.mountPoint),
    ]);
    if (inside && inside.blocks * inside.bsize !== whole.blocks * whole.bsize) {
      return inside.blocks * inside.bsize;
    }
    return (await served.quotaReads.get(`/${directory}`))?.hardLimitBytes;
  }

  async removeQuota(clusterId: string, volumeId: string): Promise<void> {
    const served = this.servedVolume(clusterId);
    // gluster addresses a limit through its directory; without one there is no limit left to remove.
    if (await served.tree.exists(volumeId)) {
      await this.cli.removeQuotaLimit(served.info.name, `/${volumeId}`);
    }
  }

  async addPooledDirectory(clusterId: string, sizeGiB: number, owner: string): Promise<void> {
    const served = this.servedVolume(clusterId);
    const path = await served.tree.beginPooledDirectory(owner);
    try {
      await this.cli.setQuotaLimit(served.info.name, `/${path}`, sizeGiB * GIB);
      const limit = await this.readQuota(clusterId, path);
      if (limit !== sizeGiB * GIB) {
        throw new Error(
          `the quota of a pooled directory reads back as ${limit ?? 'missing'} instead of ${sizeGiB * GIB} bytes`,
        );
      }
      await served.tree.finishPooledDirectory(path, sizeGiB);
    } catch (error) {
      // With whatever quota it got: the purge removes both.
      await served.tree.trashPath(path).catch(() => undefined);
      throw error;
    }
  }

  /** A trashed directory keeps its limit (gluster tracks limits by directory, not path) until here. */
  override purgeTrash(clusterId: string): Promise<number> {
    const served = this.servedVolume(clusterId);
    return served.tree.purgeTrash((path) => this.cli.removeQuotaLimit(served.info.name, path));
  }

  /** Limit and usage of every volume directory, by statfs; see readDirectoryQuotas. */
  async quotaUsage(clusterId: string): Promise<Map<string, QuotaUsage>> {
    const served = this.servedVolume(clusterId);
    return this.directoryQuotas(served, await served.tree.volumeDirectories(), true);
  }

  async directoryLimits(clusterId: string, directories: string[]): Promise<Map<string, number>> {
    const quotas = await this.directoryQuotas(this.servedVolume(clusterId), directories, false);
    return new Map([...quotas].map(([directory, quota]) => [directory, quota.limitBytes]));
  }

  async quotaLimits(clusterId: string): Promise<Map<string, number>> {
    const limits = await this.cli.quotaList(this.servedVolume(clusterId).info.name);
    return new Map(limits.map((limit) => [limit.path.slice(1), limit.hardLimitBytes]));
  }

  protected tree(clusterId: string): VolumeTree {
    return this.servedVolume(clusterId).tree;
  }

  private async directoryQuotas(
    served: ServedVolume,
    directories: string[],
    usage: boolean,
  ): Promise<Map<string, QuotaUsage>> {
    const space = async (directory: string): Promise<DirectorySpace> => {
      const fs = await statfs(join(served.mountPoint, directory));
      return { sizeBytes: fs.blocks * fs.bsize, usedBytes: (fs.blocks - fs.bfree) * fs.bsize };
    };
    const whole = await statfs(served.mountPoint);
    const softLimitPercent = Number.parseFloat(served.info.options[SOFT_LIMIT_OPTION] ?? '');
    return readDirectoryQuotas(
      directories,
      {
        // Through the read-back batcher: at most 100 paths per call, shared with creates confirming their limits.
        list: async (paths) =>
          (await Promise.all(paths.map((path) => served.quotaReads.get(path)))).filter((limit) => limit !== undefined),
        softLimitPercent: Number.isFinite(softLimitPercent) ? softLimitPercent : DEFAULT_SOFT_LIMIT_PERCENT,
        space,
        wholeVolumeBytes: whole.blocks * whole.bsize,
      },
      usage,
    );
  }

  private servedVolume(clusterId: string): ServedVolume {
    const served = this.served.get(clusterId);
    if (!served) {
      throw clusterNotFound(clusterId);
    }
    return served;
  }

  private async readTopology(info: GlusterVolumeInfo, mountPoint: string): Promise<ClusterTopology> {
    const id = idFromUuid(info.id);
    const [peers, bricks, fs] = await Promise.all([
      this.cli.poolList(),
      this.cli.volumeStatusDetail(info.name).catch(() => []),
      statfs(mountPoint),
    ]);
    const nodes: NodeTopology[] = [];
    for (const peer of peers) {
      const peerBricks = info.bricks.filter((brick) => brick.hostUuid === peer.uuid);
      // glusterd calls itself "localhost" in the pool list; its bricks name the address clients use.
      const host = peerBricks[0]?.host ?? (peer.hostname === 'localhost' ? this.config.gluster.server : peer.hostname);
      nodes.push({
        devices: peerBricks.map((brick) => {
          const detail = bricks.find((candidate) => candidate.path === brick.path && candidate.peerId === peer.uuid);
          const totalKiB = Math.floor((detail?.sizeTotalBytes ?? 0) / 1024);
          const freeKiB = Math.floor((detail?.sizeFreeBytes ?? 0) / 1024);
          return {
            freeKiB,
            id: deviceId(id, peer.uuid, brick.path),
            name: brick.path,
            state: detail?.online ? 'online' : 'offline',
            totalKiB,
            usedKiB: totalKiB - freeKiB,
          };
        }),
        id: idFromUuid(peer.uuid),
        manageHostname: host,
        state: peer.connected ? 'online' : 'offline',
        storageAddress: await toAddress(host),
      });
    }
    nodes.sort((a, b) => a.id.localeCompare(b.id));
    return { capacityBytes: fs.blocks * fs.bsize, id, nodes, volumeName: info.name, volumeType: info.type };
  }

  private async refresh(): Promise<void> {
    for (const served of this.served.values()) {
      try {
        await this.ensureMounted(served.info.name, served.mountPoint);
        served.info = await this.cli.volumeInfo(served.info.name);
        served.topology = await this.readTopology(served.info, served.mountPoint);
      } catch (error) {
        this.logger.warn(`Cannot refresh Gluster volume ${served.info.name}: ${(error as Error).message}`);
      }
    }
  }

  private async probeMount(served: ServedVolume): Promise<ProbeResult> {
    const file = join(served.mountPoint, '.piragua', `probe-${process.pid}`);
    try {
      await writeFile(file, 'ok');
      await rm(file);
      return { details: { mountPoint: served.mountPoint }, ok: true };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'ENOTCONN') {
        void this.ensureMounted(served.info.name, served.mountPoint).catch(() => undefined);
      }
      return { ok: false, problem: `mount is not writable (${code})` };
    }
  }

  /** Mounts the volume unless a live glusterfs mount is there; replaces a stale one (ENOTCONN). */
  private async ensureMounted(volume: string, mountPoint: string): Promise<void> {
    const mounted = (await readFile('/proc/self/mounts', 'utf8'))
      .split('\n')
      .some((line) => line.split(' ')[1] === mountPoint && line.split(' ')[2]?.startsWith('fuse.glusterfs'));
    if (mounted) {
      try {
        await stat(mountPoint);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOTCONN') {
          throw error;
        }
        this.logger.warn(`Mount of ${volume} at ${mountPoint} is stale; remounting`);
        await this.cli.unmount(mountPoint);
      }
    }
    await this.cli.mount(this.config.gluster.server, volume, mountPoint);
  }
}
