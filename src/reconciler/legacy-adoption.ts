import { Injectable, Logger } from '@nestjs/common';
import { GIB, LEGACY_DIRECTORY, type VolumeRecord } from '../backends/backend.types.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import { VolumeIndexService } from '../volumes/volume-index.service.js';
import type { ClusterScan } from './cluster-scan.js';
import type { Finding } from './reconciler.types.js';
import { attemptRepair } from './repair-attempt.js';

/**
 * Records the Rust piragua's volumes (`/<uuid-with-dashes>/<name>`) as they are: id = the uuid
 * without dashes, size from the quota on the top directory, name and group from the directory below
 * it. Nothing is moved or renamed; a legacy directory that cannot be read that way is reported and
 * left alone. Adopted records join the scan, so the checks after it see them as the volumes they are.
 */
@Injectable()
export class LegacyAdoption {
  private readonly logger = new Logger(LegacyAdoption.name);

  constructor(
    private readonly index: VolumeIndexService,
    private readonly state: VolumeStateStore,
  ) {}

  async adopt(scan: ClusterScan, repair: boolean): Promise<Finding[]> {
    const known = new Set(scan.records.map((record) => record.id));
    const findings: Finding[] = [];
    for (const directory of scan.directories.filter((candidate) => LEGACY_DIRECTORY.test(candidate))) {
      if (!known.has(directory.replaceAll('-', ''))) {
        findings.push(await this.adoptOne(scan, directory, repair));
      }
    }
    return findings;
  }

  private async adoptOne(scan: ClusterScan, directory: string, repair: boolean): Promise<Finding> {
    const clusterId = scan.cluster.id;
    const id = directory.replaceAll('-', '');
    const inner = await this.state.inspectVolumeDirectory(clusterId, directory);
    const limit = scan.limits.get(directory);
    if (!inner || limit === undefined) {
      const why = !inner ? 'there is no volume directory below it' : 'it has no quota, so its size is unknown';
      const detail = `/${directory} looks like a Rust piragua volume but ${why}; left as it is`;
      return { detail, kind: 'legacy-volume', repaired: false, volumeId: id };
    }
    const record: VolumeRecord = {
      clusterId,
      createdAt: inner.createdAt,
      directory,
      durability: { disperse: {}, replicate: {}, type: 'none' },
      gid: inner.gid || undefined,
      id,
      name: inner.name,
      sizeGiB: Math.ceil(limit / GIB),
      snapshot: { enable: false, factor: 1 },
      state: 'ready',
    };
    const detail = `/${directory}/${inner.name} (${record.sizeGiB} GiB) from the Rust piragua, adopted as it is`;
    return attemptRepair(repair, 'legacy-volume', id, detail, async () => {
      if (!(await this.state.claimName(clusterId, record.name, id))) {
        this.logger.warn(
          `Adopted volume ${id} shares the name '${record.name}' with another volume; its name is not reserved`,
        );
      }
      await this.state.saveVolume(record);
      this.index.put(record);
      scan.records.push(record);
    });
  }
}
