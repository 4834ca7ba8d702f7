import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { GlusterGateway } from './gluster.gateway.js';
import { LocalGateway } from './local.gateway.js';

@Module({
  exports: [GlusterGateway],
  providers: [
    {
      inject: [AppConfig],
      provide: GlusterGateway,
      useFactory: (config: AppConfig): GlusterGateway => new LocalGateway(config),
    },
  ],
})
export class GlusterModule {}
