import { Controller, Get, Param } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { HeketiIdPipe } from '../common/heketi-id.pipe.js';
import { HttpAnswer, plainErrorAnswer } from '../http/http-answers.js';
import { OperationsService } from './operations.service.js';

@ApiTags('queue')
@Controller('queue')
export class QueueController {
  constructor(private readonly operations: OperationsService) {}

  // An HttpAnswer: the status itself (200 pending, 303, 204 or 500) is the answer, which Nest's
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
  async poll(@Param('id', HeketiIdPipe) id: string): Promise<HttpAnswer> {
    const status = await this.operations.status(id);
    if (status.state === 'pending') {
      return new HttpAnswer(200, { 'X-Pending': 'true' });
    }
    if (status.state === 'failed') {
      return plainErrorAnswer(500, status.message);
    }
    if (status.location) {
      const headers = { 'Content-Type': 'text/html; charset=utf-8', Location: status.location };
      return new HttpAnswer(303, headers, `<a href="${status.location}">See Other</a>.\n\n`);
    }
    return new HttpAnswer(204);
  }
}
