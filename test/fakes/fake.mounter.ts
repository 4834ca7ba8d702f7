import { MountCommandError, MountVanishedError } from '../../src/csi/mounter/mounter.errors.js';
import { type MountEntry, Mounter, type MountPlan, type StatfsResult } from '../../src/csi/mounter/mounter.js';

export type FakeMountState = 'ok' | 'dead' | 'hung' | 'full';

/** Mounts in memory, with a state per target; records every call. `failNext` makes the next mount fail. */
export class FakeMounter extends Mounter {
  readonly calls: string[] = [];
  readonly mounts = new Map<string, { plan: MountPlan; state: FakeMountState }>();
  failNext?: 'vanish' | 'timeout';
  busy = new Set<string>();

  async mount(plan: MountPlan, target: string): Promise<void> {
    this.calls.push(`mount ${target}`);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure === 'vanish') {
      throw new MountVanishedError(plan.device, target);
    }
    if (failure === 'timeout') {
      throw new MountCommandError(['mount', plan.device, target], undefined, '', true);
    }
    await Promise.resolve();
    this.mounts.set(target, { plan, state: 'ok' });
  }

  async mountAt(target: string): Promise<MountEntry | undefined> {
    await Promise.resolve();
    const mount = this.mounts.get(target);
    return mount && { fstype: 'fuse.glusterfs', mountPoint: target, root: '/', source: mount.plan.device };
  }

  async statfs(target: string, timeoutMs: number): Promise<StatfsResult> {
    this.calls.push(`statfs ${target}`);
    await Promise.resolve();
    const state = this.mounts.get(target)?.state;
    switch (state) {
      case 'dead':
        return { errno: 'ENOTCONN', message: 'Transport endpoint is not connected', state: 'dead' };
      case 'hung':
        return { state: 'timeout', timeoutMs };
      case 'full':
      case 'ok': {
        const used = state === 'full' ? 100 : 40;
        const stats = { freeInodes: 9, fsType: 0x65735546, totalBytes: 100, totalInodes: 10, usedBytes: used };
        return { state: 'ok', stats: { ...stats, availableBytes: 100 - used } };
      }
      case undefined:
        return { message: 'No such file or directory', state: 'failed' };
    }
  }

  async unmount(target: string, options: { lazy?: boolean } = {}): Promise<void> {
    this.calls.push(`umount${options.lazy ? ' -l' : ''} ${target}`);
    await Promise.resolve();
    if (!options.lazy && this.busy.has(target)) {
      throw new MountCommandError(['umount', target], 32, 'target is busy', false);
    }
    this.mounts.delete(target);
  }
}
