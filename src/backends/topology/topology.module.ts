import { Module } from '@nestjs/common';
import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { AppConfig } from '../../config/app-config.js';
import { GlusterCli } from '../../gluster/gluster-cli.js';
import { GlusterModule } from '../../gluster/gluster.module.js';
import { countedCalls } from '../backend-calls.js';
import { GlusterTopology } from './gluster.topology.js';
import { LocalTopology } from './local.topology.js';
import { TOPOLOGY_STORAGE_METHODS, TopologyBackend } from './topology.port.js';

/** Imported by the other backends' modules, so that its volumes are mounted before their start-up runs. */
@Module({
  exports: [TopologyBackend],
  imports: [GlusterModule],
  providers: [
    {
      inject: [AppConfig, GlusterCli, EventEmitter2, EventEmitterReadinessWatcher],
      provide: TopologyBackend,
      useFactory: (
        config: AppConfig,
        cli: GlusterCli,
        events: EventEmitter2,
        listeners: EventEmitterReadinessWatcher,
      ): TopologyBackend =>
        countedCalls(
          config.backend === 'gluster' ? new GlusterTopology(cli, config) : new LocalTopology(config),
          events,
          listeners,
          TOPOLOGY_STORAGE_METHODS,
        ),
    },
  ],
})
export class TopologyModule {}
