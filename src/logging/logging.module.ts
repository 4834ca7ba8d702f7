import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { AuditService } from './audit.service.js';
import { nestPinoParams } from './root-logger.js';

@Module({
  imports: [LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: nestPinoParams }), VolumesModule],
  providers: [AuditService],
})
export class LoggingModule {}
