import { HeketiApiClient } from '../../heketi-client/heketi-api.client.js';
import type { PiraguaVolume } from '../../heketi-client/heketi-api.types.js';
import { CreateSpec, VolumeProvisioner } from './volume-provisioner.js';

/** Provisions through a piragua REST API, as a CSI controller inside Kubernetes does. */
export class HeketiApiProvisioner extends VolumeProvisioner {
  constructor(readonly client: HeketiApiClient) {
    super();
  }

  findByName(name: string): Promise<PiraguaVolume | undefined> {
    return this.client.findVolumeByName(name);
  }

  get(volumeId: string): Promise<PiraguaVolume | undefined> {
    return this.client.getPiraguaVolume(volumeId);
  }

  async create(spec: CreateSpec): Promise<PiraguaVolume> {
    const id = await this.client.createVolumeId(spec);
    const volume = await this.client.getPiraguaVolume(id);
    if (!volume) {
      throw new Error(`volume ${id} vanished right after it was created`);
    }
    return volume;
  }

  async expand(volumeId: string, deltaGiB: number): Promise<void> {
    await this.client.expandVolume(volumeId, deltaGiB);
  }

  async delete(volumeId: string): Promise<void> {
    await this.client.deleteVolume(volumeId);
  }

  listIds(): Promise<readonly string[]> {
    return this.client.listVolumeIds();
  }

  async capacity(clusters: readonly string[]): Promise<{ availableBytes: number; maximumVolumeBytes: number }> {
    const allowed = (await this.client.capacity()).clusters.filter(
      (cluster) => clusters.length === 0 || clusters.includes(cluster.id),
    );
    return {
      availableBytes: allowed.reduce((sum, cluster) => sum + cluster.availableBytes, 0),
      maximumVolumeBytes: Math.max(0, ...allowed.map((cluster) => cluster.availableBytes)),
    };
  }

  probe(): Promise<void> {
    return this.client.ready();
  }
}
