import { Module } from '@nestjs/common';
import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { countedCalls } from '../backend-calls.js';
import { TopologyModule } from '../topology/topology.module.js';
import { TopologyBackend } from '../topology/topology.port.js';
import { FileStateStore } from './file.state-store.js';
import { VolumeStateStore } from './volume-state.port.js';

@Module({
  exports: [VolumeStateStore],
  imports: [TopologyModule],
  providers: [
    {
      inject: [TopologyBackend, EventEmitter2, EventEmitterReadinessWatcher],
      provide: VolumeStateStore,
      useFactory: (
        topology: TopologyBackend,
        events: EventEmitter2,
        listeners: EventEmitterReadinessWatcher,
      ): VolumeStateStore => countedCalls(new FileStateStore(topology), events, listeners),
    },
  ],
})
export class StateModule {}
