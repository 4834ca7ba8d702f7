import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { GlusterCli } from './gluster-cli.js';
import { GlusterCliGateway } from './gluster-cli.gateway.js';
import { GlusterGateway } from './gluster.gateway.js';
import { LocalGateway } from './local.gateway.js';

@Module({
  exports: [GlusterCli, GlusterGateway],
  providers: [
    GlusterCli,
    {
      inject: [AppConfig, GlusterCli],
      provide: GlusterGateway,
      useFactory: (config: AppConfig, cli: GlusterCli): GlusterGateway =>
        config.backend === 'gluster' ? new GlusterCliGateway(cli, config) : new LocalGateway(config),
    },
  ],
})
export class GlusterModule {}
