import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { Public } from '../common/public.decorator.js';
import { METRICS_CONTENT_TYPE, MetricsService } from './metrics.service.js';

const EXAMPLE = ['# HELP heketi_up Is heketi running?', '# TYPE heketi_up gauge', 'heketi_up 1', ''].join('\n');

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Public()
  // Prometheus wants its own content type (`version=0.0.4`); a returned string is otherwise plain `text/plain`.
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @HeketiEndpoint({
    description:
      "Prometheus text format, no token needed (as in Heketi): Heketi's `heketi_*` gauges with its names and labels, " +
      "piragua's own `piragua_*` metrics (quotas, gluster CLI, operations, reconciler) and the `process_*`/`nodejs_*` defaults. " +
      'Read from memory: a scrape never runs a gluster command.',
    public: true,
    summary: 'Prometheus metrics',
  })
  @ApiOkResponse({
    content: { 'text/plain; version=0.0.4': { example: EXAMPLE, schema: { type: 'string' } } },
    description: 'The metrics',
  })
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
