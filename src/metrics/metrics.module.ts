import { Module } from '@nestjs/common';
import { TopologyModule } from '../backends/topology/topology.module.js';
import { GlusterModule } from '../gluster/gluster.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { GlusterCommandsListener } from './gluster-commands.listener.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({
  controllers: [MetricsController],
  imports: [GlusterModule, OperationsModule, TopologyModule, VolumesModule],
  providers: [GlusterCommandsListener, MetricsService],
})
export class MetricsModule {}
