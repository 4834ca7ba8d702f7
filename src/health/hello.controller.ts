import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { Public } from '../common/public.decorator.js';

@ApiTags('health')
@Controller('hello')
export class HelloController {
  @Get()
  @Public()
  @HeketiEndpoint({
    description: "Heketi's probe endpoint, kept for existing deployments' liveness checks.",
    public: true,
    summary: 'Hello',
  })
  @ApiOkResponse({
    content: { 'text/plain': { example: 'Hello from Heketi' } },
    description: 'Always `Hello from Heketi`',
  })
  hello(): string {
    return 'Hello from Heketi';
  }
}
