import { Injectable } from '@nestjs/common';
import { GIB, LEGACY_DIRECTORY, VOLUME_DIRECTORY, volumeDirectory } from '../backends/backend.types.js';
import { QuotaBackend } from '../backends/quotas/quota.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { publicReason } from '../common/step-failure.js';
import { VolumeUndoService } from '../volumes/volume-undo.service.js';
import type { ClusterScan } from './cluster-scan.js';
import type { Finding } from './reconciler.types.js';
import { attemptRepair } from './repair-attempt.js';

/**
 * What interrupted work can leave besides an unfinished operation: directories, quotas, names and
 * locks that belong to no volume, and listed volumes without their quota. Anything a live
 * operation is working on is left alone, and every orphan is checked once more against its record,
 * which a create that finished since the scan has written by now.
 */
@Injectable()
export class LeftoverChecks {
  constructor(
    private readonly quotas: QuotaBackend,
    private readonly state: VolumeStateStore,
    private readonly undo: VolumeUndoService,
  ) {}

  async check(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const check of [
      () => this.orphanDirectories(scan, repair),
      () => this.orphanQuotas(scan, repair),
      () => this.missingQuotas(scan, repair),
      () => this.orphanNames(scan, repair),
      () => this.staleLocks(scan, repair),
    ]) {
      findings.push(...(await check()));
    }
    return findings;
  }

  private async orphanDirectories(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
    const recorded = new Set(scan.records.map((record) => record.id));
    for (const volumeId of scan.directories.filter((id) => !scan.handled.has(id) && !LEGACY_DIRECTORY.test(id))) {
      if (!recorded.has(volumeId) && !scan.live.has(volumeId) && (await this.orphaned(scan, volumeId))) {
        const detail = 'a volume directory with no record (a create interrupted before it was recorded)';
        findings.push(
          await attemptRepair(repair, 'directory-without-record', volumeId, detail, () =>
            this.undo.discard(scan.cluster.id, volumeId),
          ),
        );
        scan.handled.add(volumeId);
      }
    }
    return findings;
  }

  private async orphanQuotas(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    if (scan.listed && 'error' in scan.listed) {
      return [
        {
          detail: `quota list failed, so quotas on directories that no longer exist were not searched for: ${publicReason('quota list', scan.listed.error)}. Gluster 10 fails the whole list once a directory that had a limit is deleted without 'quota remove'; its cli.log then names the directory's gfid ("Failed to get quota limits for <gfid>")`,
          kind: 'quota-list-failed',
          repaired: false,
        },
      ];
    }
    const findings: Finding[] = [];
    const directories = new Set(scan.directories);
    for (const [volumeId, limitBytes] of scan.listed?.all ?? []) {
      if (
        VOLUME_DIRECTORY.test(volumeId) &&
        !scan.handled.has(volumeId) &&
        !directories.has(volumeId) &&
        !scan.live.has(volumeId) &&
        (await this.orphaned(scan, volumeId))
      ) {
        const detail = `a quota of ${limitBytes} bytes on a directory that does not exist`;
        findings.push(
          await attemptRepair(repair, 'quota-without-directory', volumeId, detail, () =>
            this.quotas.removeQuota(scan.cluster.id, volumeId),
          ),
        );
        scan.handled.add(volumeId);
      }
    }
    return findings;
  }

  private async missingQuotas(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
    const unlimited = scan.records.filter(
      (record) =>
        record.state === 'ready' &&
        !record.operationId &&
        !scan.handled.has(record.id) &&
        !scan.limits.has(volumeDirectory(record)),
    );
    for (const seen of unlimited) {
      // Read again: a delete that began since the scan has taken the directory, and its limit, away.
      const record = await this.state.loadVolume(scan.cluster.id, seen.id);
      if (record?.state !== 'ready' || record.operationId) {
        continue;
      }
      const detail = `no quota on a listed volume; its recorded size is ${record.sizeGiB} GiB`;
      findings.push(
        await attemptRepair(repair, 'missing-quota', record.id, detail, () =>
          this.quotas.setQuota(scan.cluster.id, volumeDirectory(record), record.sizeGiB * GIB),
        ),
      );
    }
    return findings;
  }

  private async orphanNames(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
    const recorded = new Set(scan.records.map((record) => record.id));
    const directoryIds = new Set(scan.directories.map((directory) => directory.replaceAll('-', '')));
    for (const [name, volumeId] of scan.names) {
      if (
        !scan.handled.has(volumeId) &&
        !recorded.has(volumeId) &&
        !directoryIds.has(volumeId) &&
        !scan.live.has(volumeId) &&
        (await this.orphaned(scan, volumeId))
      ) {
        const detail = `the name '${name}' is reserved for a volume that does not exist`;
        findings.push(
          await attemptRepair(repair, 'orphan-name', volumeId, detail, () =>
            this.state.releaseName(scan.cluster.id, name, volumeId),
          ),
        );
      }
    }
    return findings;
  }

  /** Every lock, also one left on a volume that no longer exists at all. */
  private async staleLocks(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    const findings: Finding[] = [];
    const clusterId = scan.cluster.id;
    const operationsById = new Map(scan.operations.map((operation) => [operation.id, operation]));
    for (const [volumeId, holder] of await this.state.loadLocks(clusterId)) {
      if (scan.handled.has(volumeId)) {
        continue;
      }
      // The lock may belong to an operation that started after the scan.
      const operation = operationsById.get(holder) ?? (await this.state.loadOperation(clusterId, holder));
      if (!(operation && scan.isLive(operation))) {
        const detail = `locked by operation ${holder}, which is no longer running`;
        findings.push(
          await attemptRepair(repair, 'stale-lock', volumeId, detail, () =>
            this.state.unlockVolume(clusterId, volumeId, holder),
          ),
        );
      }
    }
    return findings;
  }

  private async orphaned(scan: ClusterScan, volumeId: string): Promise<boolean> {
    return !(await this.state.loadVolume(scan.cluster.id, volumeId));
  }
}
