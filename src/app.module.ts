import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AuthModule } from './auth/auth.module.js';
import { ClustersModule } from './clusters/clusters.module.js';
import { HeketiExceptionFilter } from './http/heketi-exception.filter.js';
import { HeketiValidationPipe } from './http/heketi-validation.pipe.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { CsiModule } from './csi/csi.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { ReconcilerModule } from './reconciler/reconciler.module.js';
import { VolumesModule } from './volumes/volumes.module.js';
import { WarmPoolModule } from './warm-pool/warm-pool.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      // Not alphabetical: Express tries routes in the order modules register them, and the routes
      // clients poll (volumes, the queue) are the ones worth finding first.
      imports: [
        VolumesModule,
        OperationsModule,
        AuthModule,
        ClustersModule,
        ConfigModule.forRoot(config),
        EventEmitterModule.forRoot(),
        HealthModule,
        LoggingModule,
        MetricsModule,
        ReconcilerModule,
        WarmPoolModule,
        // CSI beside the REST API: a controller that provisions in-process (see main.ts).
        ...(config.csi.endpoint === undefined ? [] : [CsiModule.forRoot(config)]),
      ],
      module: AppModule,
      providers: [
        { provide: APP_FILTER, useClass: HeketiExceptionFilter },
        { provide: APP_PIPE, useClass: HeketiValidationPipe },
      ],
    };
  }
}
