import { Injectable } from '@nestjs/common';
import { ErrorCode, PiraguaError } from '../../common/piragua.error.js';
import { TopologyBackend } from '../../backends/topology/topology.port.js';
import type { ProbeResult } from '../../backends/backend.types.js';
import type { PiraguaVolume } from '../../heketi-client/heketi-api.types.js';
import { OperationsService } from '../../operations/operations.service.js';
import { VolumeLookupService } from '../../volumes/volume-lookup.service.js';
import { VolumesService } from '../../volumes/volumes.service.js';
import { CreateSpec, VolumeProvisioner } from './volume-provisioner.js';

const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;
const PROBE_TIMEOUT_MS = 5000;
/** Who the audit log says asked for a change made through CSI in-process (the REST API names the JWT issuer). */
const REQUESTED_BY = 'csi';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Provisions with the domain services of this process, for a controller running beside the backend. */
@Injectable()
export class InProcessProvisioner extends VolumeProvisioner {
  constructor(
    private readonly topology: TopologyBackend,
    private readonly lookup: VolumeLookupService,
    private readonly operations: OperationsService,
    private readonly volumes: VolumesService,
  ) {
    super();
  }

  findByName(name: string): Promise<PiraguaVolume | undefined> {
    return this.orMissing(() => this.lookup.byName(name));
  }

  get(volumeId: string): Promise<PiraguaVolume | undefined> {
    return this.orMissing(() => this.lookup.byId(volumeId));
  }

  async create(spec: CreateSpec): Promise<PiraguaVolume> {
    await this.finish(await this.volumes.create(spec, REQUESTED_BY));
    return this.lookup.byName(spec.name);
  }

  async expand(volumeId: string, deltaGiB: number): Promise<void> {
    await this.finish(await this.volumes.expand(volumeId, { expand_size: deltaGiB }, REQUESTED_BY));
  }

  async delete(volumeId: string): Promise<void> {
    try {
      await this.finish(await this.volumes.remove(volumeId, REQUESTED_BY));
    } catch (error) {
      if (!(error instanceof PiraguaError && error.code === ErrorCode.NotFound)) {
        throw error;
      }
    }
  }

  async listIds(): Promise<readonly string[]> {
    return (await this.volumes.list()).volumes;
  }

  async capacity(clusters: readonly string[]): Promise<{ availableBytes: number; maximumVolumeBytes: number }> {
    const allowed = (await this.lookup.capacity()).clusters.filter(
      (cluster) => clusters.length === 0 || clusters.includes(cluster.id),
    );
    return {
      availableBytes: allowed.reduce((sum, cluster) => sum + cluster.availableBytes, 0),
      maximumVolumeBytes: Math.max(0, ...allowed.map((cluster) => cluster.availableBytes)),
    };
  }

  async probe(): Promise<void> {
    if (this.topology.clusters().length === 0) {
      throw new PiraguaError(ErrorCode.Unavailable, 'no Gluster volume is available yet');
    }
    for (const name of this.topology.probeNames()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ProbeResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, problem: 'no answer in time' }), PROBE_TIMEOUT_MS);
      });
      const result = await Promise.race([this.topology.probe(name), timeout]).finally(() => clearTimeout(timer));
      if (!result.ok) {
        throw new PiraguaError(ErrorCode.Unavailable, `backend check ${name} failed: ${result.problem ?? 'down'}`);
      }
    }
  }

  /** Waits for an async operation of this process to end; its failure is thrown as the queue would report it. */
  private async finish(operationId: string): Promise<void> {
    for (let pause = FIRST_POLL_MS; ; pause = Math.min(MAX_POLL_MS, pause * 2)) {
      const outcome = await this.operations.status(operationId);
      if (outcome.state === 'failed') {
        throw new PiraguaError(ErrorCode.Failed, outcome.message);
      }
      if (outcome.state === 'done') {
        return;
      }
      await sleep(pause);
    }
  }

  private async orMissing(read: () => Promise<PiraguaVolume>): Promise<PiraguaVolume | undefined> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof PiraguaError && error.code === ErrorCode.NotFound) {
        return undefined;
      }
      throw error;
    }
  }
}
