import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { AppConfig } from '../../config/app-config.js';
import { HeketiApiClient } from '../../heketi-client/heketi-api.client.js';
import { failedPrecondition } from '../csi.error.js';
import { HeketiApiProvisioner } from './heketi-api.provisioner.js';
import type { ApiConnection } from './storage-class.params.js';
import { VolumeProvisioner } from './volume-provisioner.js';

/** Clients kept for connections a StorageClass or secret names; a few classes, so a small bound. */
const MAX_CLIENTS = 32;

/**
 * Picks the provisioner for one CSI request: the controller's default (in-process, or the
 * PIRAGUA_HEKETI_URL client), or a client for the URL, user and key the request itself brings.
 */
@Injectable()
export class ProvisionerResolver implements OnModuleDestroy {
  private readonly clients = new Map<string, HeketiApiProvisioner>();
  private ca?: Buffer;

  constructor(
    private readonly config: AppConfig,
    private readonly fallback: VolumeProvisioner,
  ) {}

  get default(): VolumeProvisioner {
    return this.fallback;
  }

  for(connection: ApiConnection): VolumeProvisioner {
    const defaults = this.config.heketiApi;
    const url = connection.url ?? defaults.url;
    const changesDefault =
      connection.url !== undefined || connection.user !== undefined || connection.key !== undefined;
    if (url === undefined || !changesDefault) {
      return this.fallback;
    }
    const user = connection.user ?? defaults.user;
    const key = connection.key ?? defaults.key;
    const id = JSON.stringify([url, user, key]);
    let provisioner = this.clients.get(id);
    if (provisioner === undefined) {
      provisioner = new HeketiApiProvisioner(new HeketiApiClient({ ca: this.caFile(), key, url, user }));
      if (this.clients.size >= MAX_CLIENTS) {
        const [oldest] = this.clients.keys();
        this.clients.get(oldest!)?.client.close();
        this.clients.delete(oldest!);
      }
      this.clients.set(id, provisioner);
    }
    return provisioner;
  }

  onModuleDestroy(): void {
    for (const provisioner of this.clients.values()) {
      provisioner.client.close();
    }
  }

  private caFile(): Buffer | undefined {
    const file = this.config.heketiApi.caFile;
    if (file === undefined) {
      return undefined;
    }
    try {
      this.ca ??= readFileSync(file);
    } catch (error) {
      throw failedPrecondition(`PIRAGUA_HEKETI_CA: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
    }
    return this.ca;
  }
}

/** The default provisioner of a controller without a backend: the REST API of PIRAGUA_HEKETI_URL. */
export function defaultApiProvisioner(config: AppConfig): HeketiApiProvisioner {
  const { caFile, key, url, user } = config.heketiApi;
  return new HeketiApiProvisioner(
    new HeketiApiClient({ ca: caFile === undefined ? undefined : readFileSync(caFile), key, url: url!, user }),
  );
}
