import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { PeriodicTask } from '../../common/periodic-task.js';
import { ErrorCode, PiraguaError } from '../../common/piragua.error.js';
import { AppConfig } from '../../config/app-config.js';
import { GlusterCli } from '../../gluster/gluster-cli.js';
import type { GlusterVolumeInfo } from '../../gluster/gluster.types.js';
import { clusterNotFound } from '../backend.errors.js';
import type { ClusterTopology, NodeTopology, ProbeResult } from '../backend.types.js';
import { TopologyBackend } from './topology.port.js';

interface ServedVolume {
  info: GlusterVolumeInfo;
  mountPoint: string;
  topology: ClusterTopology;
}

const QUOTA_OPTION = 'features.quota';

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
 * The Gluster volumes piragua serves, each FUSE-mounted under PIRAGUA_MOUNT_DIR, their topology
 * read through the gluster CLI and refreshed in the background.
 */
@Injectable()
export class GlusterTopology extends TopologyBackend implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(GlusterTopology.name);
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
      const served: ServedVolume = { info, mountPoint, topology: await this.readTopology(info, mountPoint) };
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

  volumeRoot(clusterId: string): string {
    return this.servedVolume(clusterId).mountPoint;
  }

  /** What `gluster volume info` said of the cluster's volume at the last refresh. */
  volumeInfo(clusterId: string): GlusterVolumeInfo {
    return this.servedVolume(clusterId).info;
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
