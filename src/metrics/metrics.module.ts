import { Module } from '@nestjs/common';
import { GlusterModule } from '../gluster/gluster.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({
  controllers: [MetricsController],
  imports: [GlusterModule, VolumesModule],
  providers: [MetricsService],
})
export class MetricsModule {}
