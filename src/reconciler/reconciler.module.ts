import { Module } from '@nestjs/common';
import { QuotasModule } from '../backends/quotas/quotas.module.js';
import { StateModule } from '../backends/state/state.module.js';
import { TopologyModule } from '../backends/topology/topology.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { ClusterScanner } from './cluster-scan.js';
import { InterruptedOperations } from './interrupted-operations.js';
import { LegacyAdoption } from './legacy-adoption.js';
import { LeftoverChecks } from './leftover-checks.js';
import { ReconcilerService } from './reconciler.service.js';
import { StateController } from './state.controller.js';
import { TrashPurgeService } from './trash-purge.service.js';

/** Examine and repair: what crashes and interrupted work leave behind, and the trash purge. */
@Module({
  controllers: [StateController],
  imports: [OperationsModule, QuotasModule, StateModule, TopologyModule, VolumesModule],
  providers: [
    ClusterScanner,
    InterruptedOperations,
    LegacyAdoption,
    LeftoverChecks,
    ReconcilerService,
    TrashPurgeService,
  ],
})
export class ReconcilerModule {}
