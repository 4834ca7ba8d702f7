import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TopologyModule } from '../backends/topology/topology.module.js';
import { BackendHealthIndicator } from './backend.health.js';
import { HealthController } from './health.controller.js';
import { HelloController } from './hello.controller.js';

@Module({
  controllers: [HealthController, HelloController],
  imports: [TopologyModule, TerminusModule.forRoot({ errorLogStyle: 'pretty' })],
  providers: [BackendHealthIndicator],
})
export class HealthModule {}
