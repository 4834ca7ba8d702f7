import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { PinoLogger } from 'nestjs-pino';
import type { OperationRecord } from '../backends/backend.types.js';
import { OPERATION_ENDED, OperationEnded } from '../operations/operation.events.js';
import { VolumeIndexService } from '../volumes/volume-index.service.js';

/** Names of volumes seen lately, so that a delete's audit line can still name its volume. */
const MAX_REMEMBERED_NAMES = 10_000;

/** One audit line's fields; `audit: true` tells them from diagnostic lines. */
export interface AuditFields {
  audit: true;
  clusterId: string;
  context: string;
  durationMs: number;
  /** The JWT issuer that asked for the change; null when the record does not say (an older instance's). */
  issuer: string | null;
  kind: OperationRecord['kind'];
  operationId: string;
  /** The failure as the client saw it. */
  reason?: string;
  result: 'succeeded' | 'failed';
  volumeId: string;
  volumeName?: string;
}

/**
 * The audit trail: one line per create, expand or delete this instance ran, written whatever
 * LOG_LEVEL is. Changes refused before they start (bad request, busy, name taken) are not
 * operations; their request lines record them.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);
  private readonly names = new Map<string, string>();

  constructor(
    private readonly index: VolumeIndexService,
    // Resolves to the logger of the request that started the operation, so the audit line carries its request id.
    private readonly pino: PinoLogger,
  ) {}

  @OnEvent(OPERATION_ENDED)
  async record({ durationMs, record }: OperationEnded): Promise<void> {
    try {
      const result = record.state === 'failed' ? 'failed' : 'succeeded';
      const volumeName = await this.volumeName(record);
      const fields: AuditFields = {
        audit: true,
        clusterId: record.clusterId,
        context: AuditService.name,
        durationMs,
        issuer: record.requestedBy ?? null,
        kind: record.kind,
        operationId: record.id,
        ...(result === 'failed' ? { reason: record.message ?? 'operation failed' } : {}),
        result,
        volumeId: record.volumeId,
        ...(volumeName === undefined ? {} : { volumeName }),
      };
      const volume = volumeName === undefined ? record.volumeId : `${record.volumeId} (${volumeName})`;
      const text = `${record.kind} volume ${volume} by ${record.requestedBy ?? 'unknown issuer'} ${result} in ${durationMs} ms${fields.reason ? `: ${fields.reason}` : ''}`;
      // Its own level, so that LOG_LEVEL=warn or error keeps the audit trail.
      const audit = this.pino.logger.child({}, { level: 'info' });
      if (result === 'failed') {
        audit.warn(fields, text);
      } else {
        audit.info(fields, text);
      }
    } catch (error) {
      this.logger.error(`Cannot write the audit line of operation ${record.id}: ${(error as Error).message}`);
    }
  }

  /** From the index while the volume exists (no I/O: it is cached), else from what this instance saw of it. */
  private async volumeName({ kind, state, volumeId }: OperationRecord): Promise<string | undefined> {
    const gone = (kind === 'create' && state === 'failed') || (kind === 'delete' && state === 'succeeded');
    let name = this.names.get(volumeId);
    if (!gone) {
      name = (await this.index.visible(volumeId).catch(() => undefined))?.name ?? name;
    }
    this.names.delete(volumeId);
    if (name !== undefined && !gone) {
      this.names.set(volumeId, name);
      if (this.names.size > MAX_REMEMBERED_NAMES) {
        this.names.delete(this.names.keys().next().value!);
      }
    }
    return name;
  }
}
