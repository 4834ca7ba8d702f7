import { Module } from '@nestjs/common';
import { QuotasModule } from '../backends/quotas/quotas.module.js';
import { StateModule } from '../backends/state/state.module.js';
import { TopologyModule } from '../backends/topology/topology.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { BlockVolumesController } from './block-volumes.controller.js';
import { PiraguaVolumesController } from './piragua-volumes.controller.js';
import { PlacementService } from './placement.service.js';
import { QuotaUsageService } from './quota-usage.service.js';
import { VolumeChangesService } from './volume-changes.service.js';
import { VolumeIndexService } from './volume-index.service.js';
import { VolumeLookupService } from './volume-lookup.service.js';
import { VolumeUndoService } from './volume-undo.service.js';
import { VolumesController } from './volumes.controller.js';
import { VolumesService } from './volumes.service.js';

/** The volume lifecycle: create, expand, delete, placement, the index every read is answered from, and one undo path. */
@Module({
  // The polled routes first: Express tries them in this order (the queue's come next, from OperationsModule).
  controllers: [VolumesController, BlockVolumesController, PiraguaVolumesController],
  exports: [QuotaUsageService, VolumeIndexService, VolumeLookupService, VolumesService, VolumeUndoService],
  imports: [OperationsModule, QuotasModule, StateModule, TopologyModule],
  providers: [
    PlacementService,
    QuotaUsageService,
    VolumeChangesService,
    VolumeIndexService,
    VolumeLookupService,
    VolumesService,
    VolumeUndoService,
  ],
})
export class VolumesModule {}
