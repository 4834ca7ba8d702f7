import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { VolumeProvisioner } from './controller/volume-provisioner.js';
import { CsiIdentityController } from './identity/csi-identity.controller.js';

/** The controller's parts, loaded only by a process that serves the controller. */
async function controllerParts(
  config: AppConfig,
): Promise<Pick<DynamicModule, 'controllers' | 'imports' | 'providers'>> {
  const [{ CsiControllerController }, { CsiControllerService }, { defaultApiProvisioner, ProvisionerResolver }] =
    await Promise.all([
      import('./controller/csi-controller.controller.js'),
      import('./controller/csi-controller.service.js'),
      import('./controller/provisioner.resolver.js'),
    ]);
  let provisioner: Provider = { provide: VolumeProvisioner, useFactory: () => defaultApiProvisioner(config) };
  const imports = [];
  if (config.heketiApi.url === undefined) {
    const [{ OperationsModule }, { TopologyModule }, { VolumesModule }, { InProcessProvisioner }] = await Promise.all([
      import('../operations/operations.module.js'),
      import('../backends/topology/topology.module.js'),
      import('../volumes/volumes.module.js'),
      import('./controller/in-process.provisioner.js'),
    ]);
    imports.push(OperationsModule, TopologyModule, VolumesModule);
    provisioner = { provide: VolumeProvisioner, useClass: InProcessProvisioner };
  }
  return {
    controllers: [CsiControllerController],
    imports,
    providers: [CsiControllerService, ProvisionerResolver, provisioner],
  };
}

/**
 * The CSI services PIRAGUA_CSI_MODE asks for. A controller provisions in-process when this
 * process has the backend, through PIRAGUA_HEKETI_URL otherwise; a node needs neither. Parts are
 * imported on demand: a restarted node plugin must be serving (and repairing mounts) quickly.
 */
@Module({})
export class CsiModule {
  static async forRoot(config: AppConfig): Promise<DynamicModule> {
    const { mode } = config.csi;
    const controller = mode === 'node' ? {} : await controllerParts(config);
    const node = mode === 'controller' ? [] : [(await import('./node/csi-node.module.js')).CsiNodeModule];
    return {
      controllers: [CsiIdentityController, ...(controller.controllers ?? [])],
      imports: [...(controller.imports ?? []), ...node],
      module: CsiModule,
      providers: controller.providers ?? [],
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
