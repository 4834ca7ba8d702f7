import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { HeketiIdPipe } from '../common/heketi-id.pipe.js';
import { CapacityDto, PiraguaVolumeDto } from './dto/piragua-volume.dto.js';
import { VolumeLookupService } from './volume-lookup.service.js';

/** piragua's extensions of the Heketi API, for clients that provision by name (the CSI controller). */
@ApiTags('piragua')
@Controller('piragua')
export class PiraguaVolumesController {
  constructor(private readonly lookup: VolumeLookupService) {}

  @Get('volumes/by-name/:name')
  @HeketiEndpoint({
    description:
      'piragua extension: the volume holding this Heketi name, in any state (one read of the name registry, no scan). `404 Id not found` when no volume holds it.',
    errors: [404],
    summary: 'Find a volume by name',
  })
  @ApiOkResponse({ type: PiraguaVolumeDto })
  byName(@Param('name') name: string): Promise<PiraguaVolumeDto> {
    return this.lookup.byName(name);
  }

  @Get('volumes/:id')
  @HeketiEndpoint({
    description: 'piragua extension: a volume in any state, with where its directory is.',
    errors: [404],
    summary: 'Volume state and location',
  })
  @ApiOkResponse({ type: PiraguaVolumeDto })
  byId(@Param('id', HeketiIdPipe) id: string): Promise<PiraguaVolumeDto> {
    return this.lookup.byId(id);
  }

  @Get('capacity')
  @HeketiEndpoint({ description: 'piragua extension: room left for new quotas, per cluster.', summary: 'Capacity' })
  @ApiOkResponse({ type: CapacityDto })
  capacity(): Promise<CapacityDto> {
    return this.lookup.capacity();
  }
}
