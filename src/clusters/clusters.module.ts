import { Module } from '@nestjs/common';
import { TopologyModule } from '../backends/topology/topology.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { ClustersController } from './clusters.controller.js';
import { ClustersService } from './clusters.service.js';
import { DevicesController } from './devices.controller.js';
import { NodesController } from './nodes.controller.js';

@Module({
  controllers: [ClustersController, DevicesController, NodesController],
  imports: [TopologyModule, VolumesModule],
  providers: [ClustersService],
})
export class ClustersModule {}
