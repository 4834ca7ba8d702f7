import { Logger } from '@nestjs/common';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { heartbeat, operationRecord } from '../../test/factories/records.factory.js';
import { errnoError, FakeStorage, fakeCluster } from '../../test/fakes/fake-storage.js';
import { AppConfig } from '../config/app-config.js';
import { InstancesService } from './instances.service.js';

const CLUSTER = fakeCluster().id;
const OTHER_CLUSTER = 'bbbb0000bbbb0000bbbb0000bbbb0000';
const NOW = new Date('2026-06-01T12:00:00.000Z');

/** An `isRunningHere` that says yes to the given operation ids, and counts its calls. */
function runningHere(...ids: string[]) {
  return vi.fn((operationId: string) => ids.includes(operationId));
}

function secondsAgo(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString();
}

describe(InstancesService.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  let config: AppConfig;
  let fake: FakeStorage;
  let sut: InstancesService;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    config = appConfig({ PIRAGUA_INSTANCE_ID: 'spec-1', PIRAGUA_INSTANCE_TIMEOUT_SECONDS: '30' });
    fake = new FakeStorage().forbid('saveOperation', 'saveVolume', 'lockVolume', 'unlockVolume');
    sut = new InstancesService(config, fake, fake);
  });

  afterEach(() => {
    sut.onModuleDestroy();
    vi.useRealTimers();
    expect(fake.violations).toEqual([]);
  });

  describe('liveness', () => {
    describe('of its own operations', () => {
      it('should count one of this incarnation alive exactly while it runs here', async () => {
        const operation = operationRecord({ incarnation: config.incarnation, owner: 'spec-1' });

        expect((await sut.liveness(CLUSTER, runningHere(operation.id)))(operation)).toBe(true);
        expect((await sut.liveness(CLUSTER, runningHere()))(operation)).toBe(false);
      });

      it('should count one of an earlier incarnation dead, whatever it runs', async () => {
        const isRunningHere = runningHere(operationRecord().id);
        fake.heartbeats.set(`${CLUSTER}/spec-1`, heartbeat({ incarnation: 'earlier', instanceId: 'spec-1' }));

        const isLive = await sut.liveness(CLUSTER, isRunningHere);

        expect(isLive(operationRecord({ incarnation: 'earlier', owner: 'spec-1' }))).toBe(false);
      });

      it('should count one recorded before incarnations existed dead', async () => {
        const legacy = { ...operationRecord({ owner: 'spec-1' }), incarnation: undefined as unknown as string };

        expect((await sut.liveness(CLUSTER, runningHere(legacy.id)))(legacy)).toBe(false);
      });
    });

    describe("of another instance's operations", () => {
      const theirs = operationRecord({ incarnation: 'theirs', owner: 'spec-2' });

      it('should count one alive while its incarnation beats within PIRAGUA_INSTANCE_TIMEOUT_SECONDS, without asking what runs here', async () => {
        fake.heartbeats.set(
          `${CLUSTER}/spec-2`,
          heartbeat({ heartbeatAt: secondsAgo(29), incarnation: 'theirs', instanceId: 'spec-2' }),
        );
        const isRunningHere = runningHere();

        expect((await sut.liveness(CLUSTER, isRunningHere))(theirs)).toBe(true);
        expect(isRunningHere).not.toHaveBeenCalled();
      });

      it.each([
        ['its heartbeat is older than the timeout', { heartbeatAt: secondsAgo(31), incarnation: 'theirs' }],
        ['its heartbeat is exactly as old as the timeout', { heartbeatAt: secondsAgo(30), incarnation: 'theirs' }],
        [
          'the instance restarted (another incarnation beats)',
          { heartbeatAt: secondsAgo(1), incarnation: 'restarted' },
        ],
        ['the heartbeat cannot be read as a time', { heartbeatAt: 'yesterday', incarnation: 'theirs' }],
      ])('should count one dead when %s', async (_case, overrides) => {
        fake.heartbeats.set(`${CLUSTER}/spec-2`, heartbeat({ ...overrides, instanceId: 'spec-2' }));

        expect((await sut.liveness(CLUSTER, runningHere(theirs.id)))(theirs)).toBe(false);
      });

      it('should count one dead when its instance has no heartbeat at all', async () => {
        fake.heartbeats.set(`${CLUSTER}/spec-3`, heartbeat({ incarnation: 'theirs', instanceId: 'spec-3' }));

        expect((await sut.liveness(CLUSTER, runningHere(theirs.id)))(theirs)).toBe(false);
      });

      it('should go by the newest heartbeat it has read when the file reads as missing for a moment (being replaced)', async () => {
        fake.heartbeats.set(
          `${CLUSTER}/spec-2`,
          heartbeat({ heartbeatAt: secondsAgo(5), incarnation: 'theirs', instanceId: 'spec-2' }),
        );
        expect((await sut.liveness(CLUSTER, runningHere()))(theirs)).toBe(true);
        fake.heartbeats.delete(`${CLUSTER}/spec-2`);

        expect((await sut.liveness(CLUSTER, runningHere()))(theirs)).toBe(true);
        await vi.advanceTimersByTimeAsync(25_000);
        expect((await sut.liveness(CLUSTER, runningHere()))(theirs)).toBe(false);
      });

      it('should only count heartbeats on the cluster the operation is on', async () => {
        fake.topology = [fakeCluster(), fakeCluster({ id: OTHER_CLUSTER })];
        fake.heartbeats.set(`${OTHER_CLUSTER}/spec-2`, heartbeat({ incarnation: 'theirs', instanceId: 'spec-2' }));

        expect((await sut.liveness(CLUSTER, runningHere()))(theirs)).toBe(false);
        expect(fake.callsTo('loadHeartbeats')).toEqual([[CLUSTER]]);
      });

      it('should use a 60 second timeout by default', async () => {
        sut = new InstancesService(appConfig({ PIRAGUA_INSTANCE_ID: 'spec-1' }), fake, fake);
        fake.heartbeats.set(
          `${CLUSTER}/spec-2`,
          heartbeat({ heartbeatAt: secondsAgo(59), incarnation: 'theirs', instanceId: 'spec-2' }),
        );
        expect((await sut.liveness(CLUSTER, runningHere()))(theirs)).toBe(true);

        await vi.advanceTimersByTimeAsync(2000);
        expect((await sut.liveness(CLUSTER, runningHere()))(theirs)).toBe(false);
      });
    });

    it.each(['succeeded', 'failed'] as const)('should never count a %s operation alive', async (state) => {
      fake.heartbeats.set(`${CLUSTER}/spec-2`, heartbeat({ incarnation: 'theirs', instanceId: 'spec-2' }));
      const isLive = await sut.liveness(CLUSTER, runningHere(operationRecord().id));

      expect(isLive(operationRecord({ incarnation: config.incarnation, owner: 'spec-1', state }))).toBe(false);
      expect(isLive(operationRecord({ incarnation: 'theirs', owner: 'spec-2', state }))).toBe(false);
    });

    it('should read the heartbeats once, and judge by the time of that read', async () => {
      fake.heartbeats.set(
        `${CLUSTER}/spec-2`,
        heartbeat({ heartbeatAt: secondsAgo(25), incarnation: 'theirs', instanceId: 'spec-2' }),
      );
      const isLive = await sut.liveness(CLUSTER, runningHere());
      vi.setSystemTime(new Date(NOW.getTime() + 60_000));

      expect(isLive(operationRecord({ incarnation: 'theirs', owner: 'spec-2' }))).toBe(true);
      expect(isLive(operationRecord({ id: 'f'.repeat(32), incarnation: 'theirs', owner: 'spec-2' }))).toBe(true);
      expect(fake.callsTo('loadHeartbeats')).toHaveLength(1);
    });
  });

  describe('heartbeat', () => {
    it('should write the heartbeat of this incarnation on every cluster at start-up', async () => {
      fake.topology = [fakeCluster(), fakeCluster({ id: OTHER_CLUSTER })];

      await sut.onApplicationBootstrap();

      const expected = {
        heartbeatAt: NOW.toISOString(),
        incarnation: config.incarnation,
        instanceId: 'spec-1',
        pid: process.pid,
        startedAt: NOW.toISOString(),
      };
      expect(fake.callsTo('saveHeartbeat')).toEqual([
        [CLUSTER, expected],
        [OTHER_CLUSTER, expected],
      ]);
    });

    it('should beat again every sixth of the timeout, keeping its start time, until destroyed', async () => {
      await sut.onApplicationBootstrap();

      await vi.advanceTimersByTimeAsync(5_000);

      expect(fake.callsTo('saveHeartbeat').map(([, beat]) => beat)).toEqual([
        expect.objectContaining({ heartbeatAt: NOW.toISOString(), startedAt: NOW.toISOString() }),
        expect.objectContaining({ heartbeatAt: secondsAgo(-5), startedAt: NOW.toISOString() }),
      ]);

      sut.onModuleDestroy();
      await vi.advanceTimersByTimeAsync(60_000);

      expect(fake.callsTo('saveHeartbeat')).toHaveLength(2);
    });

    it('should keep its own operations alive to another instance while it beats', async () => {
      await sut.onApplicationBootstrap();
      const other = new InstancesService(
        appConfig({ PIRAGUA_INSTANCE_ID: 'spec-2', PIRAGUA_INSTANCE_TIMEOUT_SECONDS: '30' }),
        fake,
        fake,
      );
      const mine = operationRecord({ incarnation: config.incarnation, owner: 'spec-1' });

      await vi.advanceTimersByTimeAsync(60_000);
      expect((await other.liveness(CLUSTER, runningHere()))(mine)).toBe(true);

      sut.onModuleDestroy();
      await vi.advanceTimersByTimeAsync(30_000);
      expect((await other.liveness(CLUSTER, runningHere()))(mine)).toBe(false);
    });

    it('should go on beating on the other clusters when one cannot be written', async () => {
      fake.topology = [fakeCluster(), fakeCluster({ id: OTHER_CLUSTER })];
      fake.failOnce('saveHeartbeat', errnoError('EROFS'));

      await expect(sut.onApplicationBootstrap()).resolves.toBeUndefined();

      expect([...fake.heartbeats.keys()]).toEqual([`${OTHER_CLUSTER}/spec-1`]);
    });
  });
});
