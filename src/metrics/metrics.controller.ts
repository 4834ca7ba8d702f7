import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { Public } from '../common/public.decorator.js';
import { MetricsService } from './metrics.service.js';

const EXAMPLE = ['# HELP heketi_up Is heketi running?', '# TYPE heketi_up gauge', 'heketi_up 1', ''].join('\n');

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * Sent through `@Res()` because Prometheus wants its own content type (`version=0.0.4`), which
   * the registry gives with the body; a returned string would be sent as plain `text/plain`.
   */
  @Get()
  @Public()
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
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const { body, contentType } = await this.metrics.scrape();
    void reply.header('Content-Type', contentType).send(body);
  }
}
