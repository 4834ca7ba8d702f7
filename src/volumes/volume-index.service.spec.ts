import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { volumeRecord } from '../../test/factories/records.factory.js';
import { FakeStorage, fakeCluster } from '../../test/fakes/fake-storage.js';
import { VolumeIndexService } from './volume-index.service.js';

const GV0 = fakeCluster();
const GV1 = fakeCluster({ id: 'beef0000beef0000beef0000beef0000' });
const [A, B, C] = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)];

describe(VolumeIndexService.name, () => {
  let fake: FakeStorage;
  let sut: VolumeIndexService;

  beforeEach(async () => {
    fake = new FakeStorage([GV0, GV1]);
    fake.seedVolume(volumeRecord({ clusterId: GV0.id, id: B, name: 'b' }));
    fake.seedVolume(volumeRecord({ clusterId: GV1.id, id: A, name: 'a' }));
    sut = new VolumeIndexService(appConfig(), fake, fake);
    sut.onApplicationBootstrap();
    await sut.visibleIds();
  });

  afterEach(() => {
    sut.onModuleDestroy();
  });

  // The lists are kept between reads; these check they never outlive a change.
  it('should list the ready volumes sorted, and the same ones per cluster', async () => {
    expect(await sut.visibleIds()).toEqual([A, B]);
    expect(await sut.idsByCluster()).toEqual(
      new Map([
        [GV0.id, [B]],
        [GV1.id, [A]],
      ]),
    );
  });

  it('should show a volume this instance made ready at once, and leave out one being created', async () => {
    await sut.idsByCluster();
    sut.put(volumeRecord({ clusterId: GV0.id, id: C, name: 'c', state: 'creating' }));
    expect(await sut.visibleIds()).toEqual([A, B]);

    sut.put(volumeRecord({ clusterId: GV0.id, id: C, name: 'c', state: 'ready' }));

    expect(await sut.visibleIds()).toEqual([A, B, C]);
    expect((await sut.idsByCluster()).get(GV0.id)).toEqual([B, C]);
  });

  it('should drop a removed volume, and one another instance deleted once it is read again', async () => {
    sut.remove(A);
    expect(await sut.visibleIds()).toEqual([B]);

    fake.volumes.delete(`${GV0.id}/${B}`);
    await sut.fresh(B);

    expect(await sut.visibleIds()).toEqual([]);
    expect(await sut.idsByCluster()).toEqual(new Map());
  });

  it('should pick up a full refresh', async () => {
    fake.seedVolume(volumeRecord({ clusterId: GV1.id, id: C, name: 'c' }));

    await sut.refresh();

    expect((await sut.idsByCluster()).get(GV1.id)).toEqual([A, C]);
  });
});
