import { Module } from '@nestjs/common';
import { GlusterModule } from '../gluster/gluster.module.js';
import { BlockVolumesController } from './block-volumes.controller.js';
import { InstancesService } from './instances.service.js';
import { OperationsService } from './operations.service.js';
import { PiraguaVolumesController } from './piragua-volumes.controller.js';
import { PlacementService } from './placement.service.js';
import { QueueController } from './queue.controller.js';
import { QuotaUsageService } from './quota-usage.service.js';
import { ReconcilerService } from './reconciler.service.js';
import { StateController } from './state.controller.js';
import { VolumeIndexService } from './volume-index.service.js';
import { VolumeLookupService } from './volume-lookup.service.js';
import { VolumesController } from './volumes.controller.js';
import { VolumesService } from './volumes.service.js';
import { WarmPoolService } from './warm-pool.service.js';

@Module({
  // The polled routes first: Express tries them in this order.
  controllers: [VolumesController, QueueController, BlockVolumesController, PiraguaVolumesController, StateController],
  exports: [
    OperationsService,
    QuotaUsageService,
    ReconcilerService,
    VolumeIndexService,
    VolumeLookupService,
    VolumesService,
    WarmPoolService,
  ],
  imports: [GlusterModule],
  providers: [
    InstancesService,
    OperationsService,
    PlacementService,
    QuotaUsageService,
    ReconcilerService,
    VolumeIndexService,
    VolumeLookupService,
    VolumesService,
    WarmPoolService,
  ],
})
export class VolumesModule {}
