import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { BackendCalls } from './backend-calls.js';
import { GlusterCli } from './gluster-cli.js';
import { GlusterCliGateway } from './gluster-cli.gateway.js';
import { GlusterGateway } from './gluster.gateway.js';
import { LocalGateway } from './local.gateway.js';

@Module({
  exports: [BackendCalls, GlusterCli, GlusterGateway],
  providers: [
    { provide: BackendCalls, useValue: new BackendCalls() },
    GlusterCli,
    {
      inject: [AppConfig, GlusterCli, BackendCalls],
      provide: GlusterGateway,
      useFactory: (config: AppConfig, cli: GlusterCli, calls: BackendCalls): GlusterGateway =>
        calls.counted(config.backend === 'gluster' ? new GlusterCliGateway(cli, config) : new LocalGateway(config)),
    },
  ],
})
export class GlusterModule {}
