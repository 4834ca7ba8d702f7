import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeMounter } from '../../../test/fakes/fake.mounter.js';
import { CsiNodeError } from './csi-node.errors.js';
import { CsiNodeService } from './csi-node.service.js';
import { KeyedMutex } from './keyed-mutex.js';
import { MountRepairService } from './mount-repair.service.js';
import type { PublishPlan } from './node-request.rules.js';
import { PublishedTargetsStore } from './published-targets.store.js';

const ID = 'ab'.repeat(16);
/** The trial mount's directory is random: named by its role. */
const trialless = (call: string) => call.replace(/ \S*piragua-trial-mount-\S*$/, ' <trial>');

describe(CsiNodeService.name, () => {
  let dir: string;
  let mounter: FakeMounter;
  let store: PublishedTargetsStore;
  let repair: MountRepairService;
  let sut: CsiNodeService;

  const plan = (target: string, options: string[] = []): PublishPlan => ({
    plan: { device: `g1:/gv0/${ID}/pvc`, fstype: 'glusterfs', options },
    target,
    volumeId: ID,
  });
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: unknown) => (error instanceof CsiNodeError ? error.code : String(error)),
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'piragua-node-service-'));
    await mkdir(join(dir, 'pod'));
    mounter = new FakeMounter();
    store = new PublishedTargetsStore(join(dir, 'state'));
    const locks = new KeyedMutex();
    repair = new MountRepairService(locks, mounter, store);
    await repair.onModuleInit();
    sut = new CsiNodeService(locks, mounter, repair, store);
  });

  afterEach(async () => {
    await repair.repairAll('start');
    await rm(dir, { force: true, recursive: true });
  });

  it('should mount once however often the same publish comes', async () => {
    const target = join(dir, 'pod', 'mount');
    for (let i = 0; i < 10; i += 1) {
      await sut.publish(plan(target));
    }
    expect(mounter.calls.filter((call) => call.startsWith('mount'))).toEqual([`mount ${target}`]);
    expect(store.get(target)).toMatchObject({ createdTarget: true, volumeId: ID });
  });

  it('should adopt a mount of the volume that a lost call left unrecorded, and not mount again', async () => {
    const target = join(dir, 'pod', 'mount');
    await mkdir(target);
    mounter.mounts.set(target, { plan: plan(target).plan, state: 'ok' });
    await sut.publish(plan(target));
    expect(mounter.calls.filter((call) => call.startsWith('mount'))).toEqual([]);
    expect(store.get(target)).toEqual({ createdTarget: false, plan: plan(target).plan, volumeId: ID });
    mounter.mounts.set(target, { plan: { ...plan(target).plan, device: 'g1:/gv0/other/x' }, state: 'ok' });
    await store.remove(target);
    expect(await code(sut.publish(plan(target)))).toBe('already_exists');
  });

  it('should answer ALREADY_EXISTS for the same target with other options', async () => {
    const target = join(dir, 'pod', 'mount');
    await sut.publish(plan(target));
    expect(await code(sut.publish(plan(target, ['ro'])))).toBe('already_exists');
    expect(mounter.mounts.get(target)?.plan.options).toEqual([]);
  });

  it('should remount a dead target on publish: lazily unmounted, then mounted again', async () => {
    const target = join(dir, 'pod', 'mount');
    await sut.publish(plan(target));
    mounter.mounts.get(target)!.state = 'dead';
    mounter.calls.length = 0;
    await sut.publish(plan(target));
    await repair.repairAll('publish');
    expect(mounter.calls.filter((call) => !call.startsWith('statfs')).map(trialless)).toEqual([
      'mount <trial>',
      'umount -l <trial>',
      `umount -l ${target}`,
      `mount ${target}`,
    ]);
    expect(mounter.mounts.get(target)?.state).toBe('ok');
  });

  it('should keep a dead target as it is when the volume cannot be mounted beside it', async () => {
    const target = join(dir, 'pod', 'mount');
    await sut.publish(plan(target));
    await repair.repairAll('publish');
    mounter.mounts.get(target)!.state = 'dead';
    mounter.calls.length = 0;
    mounter.serversDown = true;
    expect(await code(sut.publish(plan(target)))).toBe('unavailable');
    await repair.repairAll('start');
    expect(new Set(mounter.calls.filter((call) => !call.startsWith('statfs')).map(trialless))).toEqual(
      new Set(['mount <trial>']),
    );
    expect(mounter.mounts.get(target)?.state).toBe('dead');
    mounter.serversDown = false;
  });

  it('should map mount failures and remove the target it made', async () => {
    const target = join(dir, 'pod', 'mount');
    mounter.failNext = 'vanish';
    expect(await code(sut.publish(plan(target)))).toBe('not_found');
    mounter.failNext = 'timeout';
    expect(await code(sut.publish(plan(target)))).toBe('unavailable');
    expect(existsSync(target)).toBe(false);
    expect(store.entries()).toEqual([]);
  });

  it('should unmount lazily when dead or hung, plainly when alive, lazily when busy', async () => {
    const targets = ['dead', 'hung', 'ok', 'busy'].map((name) => join(dir, 'pod', name));
    for (const target of targets) {
      await sut.publish(plan(target));
    }
    await repair.repairAll('publish');
    mounter.mounts.get(targets[0])!.state = 'dead';
    mounter.mounts.get(targets[1])!.state = 'hung';
    mounter.busy.add(targets[3]);
    mounter.calls.length = 0;
    for (const target of targets) {
      await sut.unpublish(ID, target);
      expect(existsSync(target)).toBe(false);
    }
    expect(mounter.calls.filter((call) => call.startsWith('umount'))).toEqual([
      `umount -l ${targets[0]}`,
      `umount -l ${targets[1]}`,
      `umount ${targets[2]}`,
      `umount ${targets[3]}`,
      `umount -l ${targets[3]}`,
    ]);
    expect(store.entries()).toEqual([]);
  });

  it('should repair dead targets at start, leave live and hung ones, forget removed ones', async () => {
    const [dead, live, hung, removed] = ['dead', 'live', 'hung', 'removed'].map((name) => join(dir, 'pod', name));
    for (const target of [dead, live, hung, removed]) {
      await sut.publish(plan(target));
    }
    mounter.mounts.get(dead)!.state = 'dead';
    mounter.mounts.get(hung)!.state = 'hung';
    mounter.mounts.delete(removed);
    await rm(removed, { recursive: true });
    mounter.calls.length = 0;
    await Promise.all([repair.repairAll('start'), repair.repairAll('publish')]);
    expect(mounter.calls.filter((call) => !call.startsWith('statfs')).map(trialless)).toEqual([
      'mount <trial>',
      'umount -l <trial>',
      `umount -l ${dead}`,
      `mount ${dead}`,
    ]);
    expect(mounter.calls.filter((call) => call === `statfs ${live}`)).toHaveLength(1);
    expect(mounter.mounts.get(dead)?.state).toBe('ok');
    expect(mounter.mounts.get(hung)?.state).toBe('hung');
    expect(store.get(removed)).toBeUndefined();
  });

  it('should report a dead mount as abnormal and have it repaired, and a full quota as abnormal', async () => {
    const target = join(dir, 'pod', 'mount');
    await sut.publish(plan(target));
    mounter.mounts.get(target)!.state = 'dead';
    expect((await sut.stats(ID, target)).condition.message).toContain('ENOTCONN');
    await repair.repairAll('stats');
    expect(mounter.mounts.get(target)?.state).toBe('ok');
    mounter.mounts.get(target)!.state = 'full';
    expect((await sut.stats(ID, target)).condition).toMatchObject({ abnormal: true });
    expect(await code(sut.stats('cd'.repeat(16), target))).toBe('not_found');
  });
});
