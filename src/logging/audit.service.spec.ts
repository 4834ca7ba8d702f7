import type { PinoLogger } from 'nestjs-pino';
import { describe, expect, it } from 'vitest';
import type { OperationRecord, VolumeRecord } from '../backends/backend.types.js';
import { OperationEnded } from '../operations/operation.events.js';
import type { VolumeIndexService } from '../volumes/volume-index.service.js';
import { AuditService } from './audit.service.js';
import { createRootLogger } from './root-logger.js';

const VOLUME_ID = 'a'.repeat(32);

function operation(overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    clusterId: 'c'.repeat(32),
    finishedAt: '2026-01-01T00:00:01.000Z',
    id: 'o'.repeat(32),
    incarnation: 'i',
    kind: 'create',
    owner: 'test',
    requestedBy: 'admin',
    startedAt: '2026-01-01T00:00:00.000Z',
    state: 'succeeded',
    volumeId: VOLUME_ID,
    ...overrides,
  };
}

describe(AuditService.name, () => {
  /** `level` is the root logger's: audit lines must get through even at warn or error. */
  function setup(volumes: Record<string, Pick<VolumeRecord, 'name'>> = {}, level: 'info' | 'error' = 'error') {
    const lines: Record<string, unknown>[] = [];
    const root = createRootLogger({ format: 'json', level }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const lookups: string[] = [];
    const index = {
      visible: (id: string) => {
        lookups.push(id);
        return Promise.resolve(volumes[id] as VolumeRecord | undefined);
      },
    };
    const sut = new AuditService(index as unknown as VolumeIndexService, { logger: root } as unknown as PinoLogger);
    const emit = (record: OperationRecord, durationMs = 42) => sut.record(new OperationEnded(record, durationMs));
    return { emit, index, lines, lookups };
  }

  it('should write one audit line per ended operation: who, what, which volume, result and duration', async () => {
    const { emit, lines } = setup({ [VOLUME_ID]: { name: 'data' } });

    await emit(operation());

    expect(lines).toEqual([
      expect.objectContaining({
        audit: true,
        clusterId: 'c'.repeat(32),
        context: 'AuditService',
        durationMs: 42,
        issuer: 'admin',
        kind: 'create',
        level: 30,
        msg: `create volume ${VOLUME_ID} (data) by admin succeeded in 42 ms`,
        operationId: 'o'.repeat(32),
        result: 'succeeded',
        volumeId: VOLUME_ID,
        volumeName: 'data',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('reason');
  });

  it('should write a failure at warn with the reason the client saw', async () => {
    const { emit, lines } = setup({ [VOLUME_ID]: { name: 'data' } });

    await emit(operation({ kind: 'expand', message: 'Failed to expand volume: set quota: boom', state: 'failed' }));

    expect(lines).toEqual([
      expect.objectContaining({
        kind: 'expand',
        level: 40,
        reason: 'Failed to expand volume: set quota: boom',
        result: 'failed',
        volumeName: 'data',
      }),
    ]);
    expect(lines[0].msg).toBe(
      `expand volume ${VOLUME_ID} (data) by admin failed in 42 ms: Failed to expand volume: set quota: boom`,
    );
  });

  it('should still name a deleted volume it saw before, without looking for it', async () => {
    const volumes: Record<string, Pick<VolumeRecord, 'name'>> = { [VOLUME_ID]: { name: 'data' } };
    const { emit, lines, lookups } = setup(volumes);
    await emit(operation());
    delete volumes[VOLUME_ID];
    lookups.length = 0;

    await emit(operation({ kind: 'delete' }));
    await emit(operation({ kind: 'delete' }));

    expect(lookups).toEqual([]);
    expect(lines.map((line) => [line.kind, line.volumeName])).toEqual([
      ['create', 'data'],
      ['delete', 'data'],
      // Forgotten once deleted.
      ['delete', undefined],
    ]);
  });

  it('should leave the name out when it is not known, and say when the issuer is not', async () => {
    const { emit, lines } = setup();

    await emit(
      operation({ message: 'Failed to create volume: set quota: boom', requestedBy: undefined, state: 'failed' }),
    );

    expect(lines[0]).toMatchObject({ issuer: null, result: 'failed', volumeId: VOLUME_ID });
    expect(lines[0]).not.toHaveProperty('volumeName');
    expect(lines[0].msg).toBe(
      `create volume ${VOLUME_ID} by unknown issuer failed in 42 ms: Failed to create volume: set quota: boom`,
    );
  });

  it('should keep auditing when the name lookup fails', async () => {
    const { emit, index, lines } = setup();
    index.visible = () => Promise.reject(new Error('backend down'));

    await emit(operation({ kind: 'expand' }));

    expect(lines).toEqual([expect.objectContaining({ kind: 'expand', result: 'succeeded', volumeId: VOLUME_ID })]);
  });
});
