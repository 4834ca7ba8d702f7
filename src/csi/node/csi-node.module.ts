import { Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { Mounter } from '../mounter/mounter.js';
import { SystemMounter } from '../mounter/system.mounter.js';
import { CsiNodeController } from './csi-node.controller.js';
import { CsiNodeService } from './csi-node.service.js';
import { KeyedMutex } from './keyed-mutex.js';
import { MountRepairService } from './mount-repair.service.js';
import { PublishedTargetsStore } from './published-targets.store.js';

/** csi.v1.Node: needs no backend, no REST API and no gluster CLI, only mount and its state dir. */
@Module({
  controllers: [CsiNodeController],
  providers: [
    CsiNodeService,
    KeyedMutex,
    { provide: Mounter, useClass: SystemMounter },
    MountRepairService,
    {
      inject: [AppConfig],
      provide: PublishedTargetsStore,
      useFactory: (config: AppConfig) => new PublishedTargetsStore(config.csi.stateDir),
    },
  ],
})
export class CsiNodeModule {}
