import { Controller, UseFilters, Optional } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { CSI_PLUGIN_NAME } from '../csi-plugin.js';
import { packageVersion } from '../csi-files.js';
import { failedPrecondition } from '../csi.error.js';
import { VolumeProvisioner } from '../controller/volume-provisioner.js';
import { CsiExceptionFilter } from '../csi-exception.filter.js';

type PluginCapability = { service: { type: string } } | { volume_expansion: { type: string } };

/** csi.v1.Identity; served by every mode. */
@Controller()
@UseFilters(CsiExceptionFilter)
export class CsiIdentityController {
  private readonly version = packageVersion();

  /** Absent in a node plugin, which serves no controller. */
  constructor(@Optional() private readonly provisioner?: VolumeProvisioner) {}

  @GrpcMethod('Identity', 'GetPluginInfo')
  getPluginInfo(): { manifest: Record<string, string>; name: string; vendor_version: string } {
    return { manifest: {}, name: CSI_PLUGIN_NAME, vendor_version: this.version };
  }

  @GrpcMethod('Identity', 'GetPluginCapabilities')
  getPluginCapabilities(): { capabilities: PluginCapability[] } {
    const capabilities: PluginCapability[] = [{ volume_expansion: { type: 'ONLINE' } }];
    if (this.provisioner) {
      capabilities.unshift({ service: { type: 'CONTROLLER_SERVICE' } });
    }
    return { capabilities };
  }

  @GrpcMethod('Identity', 'Probe')
  async probe(): Promise<{ ready: { value: boolean } }> {
    if (this.provisioner) {
      try {
        await this.provisioner.probe();
      } catch (error) {
        throw failedPrecondition(`the volume backend is not reachable: ${(error as Error).message}`);
      }
    }
    return { ready: { value: true } };
  }
}
