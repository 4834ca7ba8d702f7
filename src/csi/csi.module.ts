import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { GlusterModule } from '../gluster/gluster.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { CsiControllerController } from './controller/csi-controller.controller.js';
import { CsiControllerService } from './controller/csi-controller.service.js';
import { InProcessProvisioner } from './controller/in-process.provisioner.js';
import { defaultApiProvisioner, ProvisionerResolver } from './controller/provisioner.resolver.js';
import { VolumeProvisioner } from './controller/volume-provisioner.js';
import { CsiIdentityController } from './identity/csi-identity.controller.js';
import { CsiNodeModule } from './node/csi-node.module.js';

/**
 * The CSI services PIRAGUA_CSI_MODE asks for. A controller provisions in-process when this
 * process has the backend, through PIRAGUA_HEKETI_URL otherwise; a node needs neither.
 */
@Module({})
export class CsiModule {
  static forRoot(config: AppConfig): DynamicModule {
    const { mode } = config.csi;
    const controller = mode !== 'node';
    const inProcess = controller && config.heketiApi.url === undefined;
    const provisioner: Provider = inProcess
      ? { provide: VolumeProvisioner, useClass: InProcessProvisioner }
      : { provide: VolumeProvisioner, useFactory: () => defaultApiProvisioner(config) };
    return {
      controllers: [CsiIdentityController, ...(controller ? [CsiControllerController] : [])],
      imports: [
        ...(inProcess ? [GlusterModule, VolumesModule] : []),
        ...(mode === 'controller' ? [] : [CsiNodeModule]),
      ],
      module: CsiModule,
      providers: controller ? [CsiControllerService, ProvisionerResolver, provisioner] : [],
    };
  }
}

/** The root of a process that serves only CSI: no REST API, no backend (node plugin, or controller through the API). */
@Module({})
export class CsiRootModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { imports: [ConfigModule.forRoot(config), CsiModule.forRoot(config)], module: CsiRootModule };
  }
}
