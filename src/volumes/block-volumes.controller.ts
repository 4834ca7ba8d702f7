import { All, Controller } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { notSupported } from '../common/not-supported.js';

@ApiTags('volumes')
@Controller('blockvolumes')
export class BlockVolumesController {
  @All()
  @HeketiEndpoint({ errors: [501], summary: 'Block volumes (not supported)' })
  all(): never {
    throw notSupported('Block volumes');
  }

  @All('*path')
  @ApiExcludeEndpoint()
  any(): never {
    throw notSupported('Block volumes');
  }
}
