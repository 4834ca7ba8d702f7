import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuthModule } from './auth/auth.module.js';
import { ClustersModule } from './clusters/clusters.module.js';
import { HeketiExceptionFilter } from './common/heketi-exception.filter.js';
import { HeketiValidationPipe } from './common/validation.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { CsiModule } from './csi/csi.module.js';
import { GlusterModule } from './gluster/gluster.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { VolumesModule } from './volumes/volumes.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      imports: [
        AuthModule,
        ClustersModule,
        ConfigModule.forRoot(config),
        GlusterModule,
        HealthModule,
        LoggingModule,
        MetricsModule,
        VolumesModule,
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
