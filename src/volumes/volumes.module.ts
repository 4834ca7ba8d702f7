import { Module } from '@nestjs/common';
import { QuotasModule } from '../backends/quotas/quotas.module.js';
import { StateModule } from '../backends/state/state.module.js';
import { TopologyModule } from '../backends/topology/topology.module.js';
import { TrashPurgeService } from '../reconciler/trash-purge.service.js';
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
  imports: [QuotasModule, StateModule, TopologyModule],
  providers: [
    InstancesService,
    OperationsService,
    PlacementService,
    QuotaUsageService,
    ReconcilerService,
    TrashPurgeService,
    VolumeIndexService,
    VolumeLookupService,
    VolumesService,
    WarmPoolService,
  ],
})
export class VolumesModule {}
