import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { Public } from '../common/public.decorator.js';
import { BackendHealthIndicator } from './backend.health.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly backend: BackendHealthIndicator,
    private readonly health: HealthCheckService,
  ) {}

  @Get('live')
  @Public()
  @HeketiEndpoint({ public: true, summary: 'Liveness: the process answers' })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @Public()
  @HeketiEndpoint({
    description: 'Each backend check is reported separately; 503 when any is down.',
    public: true,
    summary: 'Readiness: the storage backend works',
  })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check(this.backend.names().map((name) => () => this.backend.check(name)));
  }
}
