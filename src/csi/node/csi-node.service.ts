import { Injectable, Logger } from '@nestjs/common';
import { lstat, mkdir, readdir, realpath, rmdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MountCommandError, MountVanishedError } from '../mounter/mounter.errors.js';
import { type MountEntry, Mounter, type MountPlan } from '../mounter/mounter.js';
import { CsiNodeError, invalidArgument, notFound } from './csi-node.errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { MountRepairService, PROBE_TIMEOUT_MS } from './mount-repair.service.js';
import { checkPath, checkVolumeId, type PublishPlan } from './node-request.rules.js';
import { type PublishedTarget, PublishedTargetsStore } from './published-targets.store.js';
import { type VolumeStats, volumeStats } from './volume-stats.js';

/** Stacked mounts of one volume at one target that unpublish takes off, at most. */
const MAX_STACKED = 8;

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

function samePlan(a: MountPlan, b: MountPlan): boolean {
  const sorted = (plan: MountPlan) => [...plan.options].sort().join(',');
  return a.fstype === b.fstype && a.device === b.device && sorted(a) === sorted(b);
}

/** Whether a mount found at a target is of `volumeId` (its Gluster path or bound directory names the id). */
function isMountOf(entry: MountEntry, volumeId: string): boolean {
  return entry.source.includes(`/${volumeId}/`) || entry.root.includes(`/${volumeId}/`);
}

/** Whether a mount found at a target is what `plan` mounts there. */
function isMountFrom(entry: MountEntry, plan: MountPlan): boolean {
  return plan.fstype === 'glusterfs'
    ? entry.fstype === 'fuse.glusterfs' && entry.source === plan.device
    : entry.root !== '/' && plan.device.endsWith(entry.root);
}

/** NodePublishVolume, NodeUnpublishVolume and NodeGetVolumeStats over the Mounter and the state file. */
@Injectable()
export class CsiNodeService {
  private readonly logger = new Logger(CsiNodeService.name);

  constructor(
    private readonly locks: KeyedMutex,
    private readonly mounter: Mounter,
    private readonly repair: MountRepairService,
    private readonly store: PublishedTargetsStore,
  ) {}

  async publish({ plan, target, volumeId }: PublishPlan): Promise<void> {
    this.repair.repairAllInBackground('publish');
    await this.locks.run(target, async () => {
      const recorded = this.store.get(target);
      if (recorded !== undefined) {
        if (recorded.volumeId !== volumeId || !samePlan(recorded.plan, plan)) {
          throw new CsiNodeError('already_exists', this.otherPublication(target, recorded, volumeId));
        }
        await this.repair.ensureMounted(target, recorded, 'publish').catch((error: unknown) => {
          throw this.mountFailure(error, plan, volumeId);
        });
        return;
      }
      const entry = await this.mounter.mountAt(target);
      if (entry !== undefined) {
        if (!isMountFrom(entry, plan)) {
          throw new CsiNodeError('already_exists', `target_path ${target} is already a mount of ${entry.source}`);
        }
        // Mounted by an earlier call whose record was lost (the plugin died in between): adopt it.
        const adopted = { createdTarget: false, plan, volumeId };
        await this.store.put(target, adopted);
        await this.repair.ensureMounted(target, adopted, 'publish').catch((error: unknown) => {
          throw this.mountFailure(error, plan, volumeId);
        });
        return;
      }
      if (plan.fstype === 'bind') {
        await this.checkLocalDirectory(plan.device, volumeId);
      }
      const created = await this.prepareTarget(target);
      try {
        await this.mounter.mount(plan, target);
      } catch (error) {
        if (created) {
          await rmdir(target).catch(() => undefined);
        }
        throw this.mountFailure(error, plan, volumeId);
      }
      await this.store.put(target, { createdTarget: created, plan, volumeId });
      this.logger.log(`published volume ${volumeId} at ${target} (${plan.device}, ${plan.options.join(',') || 'rw'})`);
    });
  }

  async unpublish(volumeId: string, targetPath: string): Promise<void> {
    checkVolumeId(volumeId);
    const target = checkPath(targetPath, 'target_path');
    await this.locks.run(target, async () => {
      const recorded = this.store.get(target);
      if (recorded !== undefined && recorded.volumeId !== volumeId) {
        throw notFound(`target_path ${target} holds volume ${recorded.volumeId}, not ${volumeId}`);
      }
      let entry = await this.mounter.mountAt(target);
      if (recorded === undefined && entry !== undefined && !isMountOf(entry, volumeId)) {
        throw notFound(`target_path ${target} is a mount of ${entry.source}, not of volume ${volumeId}`);
      }
      const wasMounted = entry !== undefined;
      for (let round = 0; entry !== undefined && round < MAX_STACKED; round += 1) {
        await this.unmountOnce(target);
        entry = await this.mounter.mountAt(target);
      }
      if (recorded?.createdTarget !== false && (recorded !== undefined || wasMounted)) {
        await rmdir(target).catch((error: unknown) => {
          if (errno(error) !== 'ENOENT') {
            this.logger.warn(`left ${target} in place: ${(error as Error).message}`);
          }
        });
      }
      await this.store.remove(target);
      if (wasMounted) {
        this.logger.log(`unpublished volume ${volumeId} from ${target}`);
      }
    });
  }

  async stats(volumeId: string, volumePath: string): Promise<VolumeStats> {
    checkVolumeId(volumeId);
    const target = checkPath(volumePath, 'volume_path');
    const recorded = this.store.get(target);
    if (recorded?.volumeId !== volumeId) {
      throw notFound(`${target} is not a target of volume ${volumeId} published on this node`);
    }
    if ((await this.mounter.mountAt(target)) === undefined) {
      this.repair.repairAllInBackground('stats');
      return { condition: { abnormal: true, message: `not mounted at ${target}; being remounted` }, usage: [] };
    }
    const result = await this.mounter.statfs(target, PROBE_TIMEOUT_MS);
    if (result.state === 'dead') {
      this.repair.repairAllInBackground('stats');
    }
    return volumeStats(result);
  }

  /** Unmounts, lazily when the mount is dead or does not answer, or when a plain umount is refused (busy). */
  private async unmountOnce(target: string): Promise<void> {
    const probe = await this.mounter.statfs(target, PROBE_TIMEOUT_MS);
    if (probe.state === 'dead' || probe.state === 'timeout') {
      await this.mounter.unmount(target, { lazy: true });
      return;
    }
    await this.mounter.unmount(target).catch(async (error: unknown) => {
      this.logger.warn(`umount ${target} refused (${(error as Error).message}); unmounting lazily`);
      await this.mounter.unmount(target, { lazy: true });
    });
  }

  /** Creates the target (its parent must exist and be reached without symbolic links), or takes an empty directory. */
  private async prepareTarget(target: string): Promise<boolean> {
    const parent = dirname(target);
    const realParent = await realpath(parent).catch((error: unknown) => {
      throw errno(error) === 'ENOENT'
        ? invalidArgument(`the parent directory of target_path, ${parent}, does not exist`)
        : error;
    });
    if (realParent !== parent) {
      throw invalidArgument(`target_path goes through a symbolic link: ${parent} is ${realParent}`);
    }
    try {
      await mkdir(target, { mode: 0o750 });
      return true;
    } catch (error) {
      if (errno(error) !== 'EEXIST') {
        throw error;
      }
    }
    const existing = await lstat(target);
    if (!existing.isDirectory()) {
      throw invalidArgument(`target_path ${target} exists and is not a directory`);
    }
    if ((await readdir(target)).length > 0) {
      throw invalidArgument(`target_path ${target} is a directory that is not empty: a mount would hide its files`);
    }
    return false;
  }

  private async checkLocalDirectory(directory: string, volumeId: string): Promise<void> {
    const real = await realpath(directory).catch(() => undefined);
    if (real === undefined || !(await stat(real)).isDirectory()) {
      throw notFound(`volume ${volumeId} does not exist on this node: no directory ${directory}`);
    }
    if (real !== directory) {
      throw invalidArgument(`volume_context.localPath goes through a symbolic link: ${directory} is ${real}`);
    }
  }

  private otherPublication(target: string, recorded: PublishedTarget, volumeId: string): string {
    if (recorded.volumeId !== volumeId) {
      return `target_path ${target} already holds another volume, ${recorded.volumeId}`;
    }
    const options = recorded.plan.options.join(',') || 'rw';
    return `target_path ${target} already holds this volume with other options (${recorded.plan.device}, ${options})`;
  }

  private mountFailure(error: unknown, plan: MountPlan, volumeId: string): Error {
    if (error instanceof MountVanishedError) {
      const reason = error.reason ?? 'its directory is missing, or the servers refuse this node';
      return notFound(`volume ${volumeId} does not exist on the Gluster volume: ${plan.device} (${reason})`);
    }
    if (error instanceof MountCommandError) {
      return new CsiNodeError(error.timedOut ? 'unavailable' : 'internal', error.message);
    }
    return error as Error;
  }
}
