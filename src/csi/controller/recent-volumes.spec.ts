import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PiraguaVolume } from '../../heketi-client/heketi-api.types.js';
import { RecentVolumes } from './recent-volumes.js';
import type { VolumeProvisioner } from './volume-provisioner.js';

const volume = (id: string, name: string): PiraguaVolume => ({
  cluster: 'c',
  id,
  location: { backend: 'local', glusterServers: [], glusterVolume: 'v', path: `${id}/${name}` },
  name,
  operationRunning: false,
  size: 1,
  state: 'ready',
});

describe(RecentVolumes.name, () => {
  const one = {} as VolumeProvisioner;
  const other = {} as VolumeProvisioner;
  let sut: RecentVolumes;

  beforeEach(() => {
    vi.useFakeTimers();
    sut = new RecentVolumes();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('should answer a name it made through the same provisioner, for a minute', () => {
    sut.remember(one, volume('a', 'pvc-a'));
    expect(sut.find(one, 'pvc-a')?.id).toBe('a');
    expect(sut.find(other, 'pvc-a')).toBeUndefined();
    vi.advanceTimersByTime(61_000);
    expect(sut.find(one, 'pvc-a')).toBeUndefined();
  });

  it('should forget a volume that is deleted or expanded', () => {
    sut.remember(one, volume('a', 'pvc-a'));
    sut.remember(one, volume('b', 'pvc-b'));
    sut.forget('a');
    expect(sut.find(one, 'pvc-a')).toBeUndefined();
    expect(sut.find(one, 'pvc-b')?.id).toBe('b');
  });
});
