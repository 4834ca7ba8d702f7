import { Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { HeketiIdPipe } from '../common/heketi-id.pipe.js';
import { topologyIsGlusters } from '../common/not-supported.js';
import { ClustersService } from './clusters.service.js';
import { DeviceInfoResponseDto } from './dto/topology-response.dto.js';

@ApiTags('devices')
@Controller('devices')
export class DevicesController {
  constructor(private readonly clusters: ClustersService) {}

  @Get(':id')
  @HeketiEndpoint({
    description: 'A brick of the Gluster volume, sizes in KiB.',
    errors: [404],
    summary: 'Device information',
  })
  @ApiOkResponse({ type: DeviceInfoResponseDto })
  info(@Param('id', HeketiIdPipe) id: string): DeviceInfoResponseDto {
    return this.clusters.device(id);
  }

  @Post()
  @HeketiEndpoint({ errors: [501], summary: 'Add a device (not supported: bricks belong to the Gluster volume)' })
  add(): never {
    throw topologyIsGlusters();
  }

  @Delete(':id')
  @HeketiEndpoint({ errors: [501], summary: 'Delete a device (not supported)' })
  remove(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }

  @Post(':id/state')
  @HeketiEndpoint({ errors: [501], summary: 'Change device state (not supported)' })
  setState(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }

  @Get(':id/resync')
  @HeketiEndpoint({ errors: [501], summary: 'Resync a device (not supported)' })
  resync(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }

  @Post(':id/tags')
  @HeketiEndpoint({ errors: [501], summary: 'Change device tags (not supported)' })
  setTags(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }
}
