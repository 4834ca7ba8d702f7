import { Module } from '@nestjs/common';
import { QuotasModule } from '../backends/quotas/quotas.module.js';
import { StateModule } from '../backends/state/state.module.js';
import { TopologyModule } from '../backends/topology/topology.module.js';
import { WarmPoolService } from './warm-pool.service.js';

/** PIRAGUA_WARM_POOL's pre-made quota directories. */
@Module({
  imports: [QuotasModule, StateModule, TopologyModule],
  providers: [WarmPoolService],
})
export class WarmPoolModule {}
