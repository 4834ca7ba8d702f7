import { Module } from '@nestjs/common';
import { GlusterModule } from '../gluster/gluster.module.js';
import { BlockVolumesController } from './block-volumes.controller.js';
import { OperationsService } from './operations.service.js';
import { PlacementService } from './placement.service.js';
import { QueueController } from './queue.controller.js';
import { VolumeIndexService } from './volume-index.service.js';
import { VolumesController } from './volumes.controller.js';
import { VolumesService } from './volumes.service.js';

@Module({
  imports: [GlusterModule],
  controllers: [BlockVolumesController, QueueController, VolumesController],
  exports: [OperationsService, VolumeIndexService],
  providers: [OperationsService, PlacementService, VolumeIndexService, VolumesService],
})
export class VolumesModule {}
