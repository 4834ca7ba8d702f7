import { Module } from '@nestjs/common';
import { StateModule } from '../backends/state/state.module.js';
import { TopologyModule } from '../backends/topology/topology.module.js';
import { InstancesService } from './instances.service.js';
import { OperationsService } from './operations.service.js';
import { QueueController } from './queue.controller.js';

/** Heketi's async operations: their records, the queue clients poll, the in-flight limit, and which instances are alive. */
@Module({
  controllers: [QueueController],
  exports: [InstancesService, OperationsService],
  imports: [StateModule, TopologyModule],
  providers: [InstancesService, OperationsService],
})
export class OperationsModule {}
