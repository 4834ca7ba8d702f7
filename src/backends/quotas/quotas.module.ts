import { Module } from '@nestjs/common';
import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { AppConfig } from '../../config/app-config.js';
import { GlusterCli } from '../../gluster/gluster-cli.js';
import { GlusterModule } from '../../gluster/gluster.module.js';
import { countedCalls } from '../backend-calls.js';
import { GlusterTopology } from '../topology/gluster.topology.js';
import { TopologyModule } from '../topology/topology.module.js';
import { TopologyBackend } from '../topology/topology.port.js';
import { GlusterQuotas } from './gluster.quotas.js';
import { LocalQuotas } from './local.quotas.js';
import { QuotaBackend } from './quota.port.js';

function quotasFor(config: AppConfig, cli: GlusterCli, topology: TopologyBackend): QuotaBackend {
  if (config.backend !== 'gluster') {
    return new LocalQuotas(topology);
  }
  // The counted proxy keeps the class it stands for.
  if (!(topology instanceof GlusterTopology)) {
    throw new Error('Gluster quotas need the Gluster topology');
  }
  return new GlusterQuotas(cli, topology);
}

@Module({
  exports: [QuotaBackend],
  imports: [GlusterModule, TopologyModule],
  providers: [
    {
      inject: [AppConfig, GlusterCli, TopologyBackend, EventEmitter2, EventEmitterReadinessWatcher],
      provide: QuotaBackend,
      useFactory: (
        config: AppConfig,
        cli: GlusterCli,
        topology: TopologyBackend,
        events: EventEmitter2,
        listeners: EventEmitterReadinessWatcher,
      ) => countedCalls(quotasFor(config, cli, topology), events, listeners),
    },
  ],
})
export class QuotasModule {}
