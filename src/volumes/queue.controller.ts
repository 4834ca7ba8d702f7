import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { sendPlainError } from '../common/heketi-exception.filter.js';
import { HeketiIdPipe } from '../common/heketi-id.pipe.js';
import { OperationsService } from './operations.service.js';

@ApiTags('queue')
@Controller('queue')
export class QueueController {
  constructor(private readonly operations: OperationsService) {}

  // @Res(): the status itself (200 pending, 303, 204 or 500) is the answer, which Nest's
  // per-handler status code cannot express.
  @Get(':id')
  @HeketiEndpoint({
    description: 'Each finished result is delivered once; the id then answers `404 Id not found`.',
    errors: [404, 500],
    summary: 'Poll an asynchronous operation',
  })
  @ApiResponse({ description: 'Still running: empty body with `X-Pending: true`', status: 200 })
  @ApiResponse({ description: 'Done: `Location` is the volume', status: 303 })
  @ApiResponse({ description: 'Done, nothing to show (delete)', status: 204 })
  async poll(@Param('id', HeketiIdPipe) id: string, @Res() reply: FastifyReply): Promise<void> {
    const status = await this.operations.status(id);
    if (status.state === 'pending') {
      void reply.code(200).header('X-Pending', 'true').send();
    } else if (status.state === 'failed') {
      sendPlainError(reply, 500, status.message);
    } else if (status.location) {
      const body = `<a href="${status.location}">See Other</a>.\n\n`;
      void reply
        .code(303)
        .header('Location', status.location)
        .header('Content-Type', 'text/html; charset=utf-8')
        .send(body);
    } else {
      void reply.code(204).send();
    }
  }
}
