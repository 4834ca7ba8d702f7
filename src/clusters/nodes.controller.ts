import { Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { HeketiIdPipe } from '../common/heketi-id.pipe.js';
import { topologyIsGlusters } from '../common/not-supported.js';
import { ClustersService } from './clusters.service.js';
import { NodeInfoResponseDto } from './dto/topology-response.dto.js';

@ApiTags('nodes')
@Controller('nodes')
export class NodesController {
  constructor(private readonly clusters: ClustersService) {}

  @Get(':id')
  @HeketiEndpoint({
    description: 'A peer of the Gluster trusted pool; its storage hostname is an IP address.',
    errors: [404],
    summary: 'Node information',
  })
  @ApiOkResponse({ type: NodeInfoResponseDto })
  info(@Param('id', HeketiIdPipe) id: string): NodeInfoResponseDto {
    return this.clusters.node(id);
  }

  @Post()
  @HeketiEndpoint({ errors: [501], summary: 'Add a node (not supported: use gluster peer probe)' })
  add(): never {
    throw topologyIsGlusters();
  }

  @Delete(':id')
  @HeketiEndpoint({ errors: [501], summary: 'Delete a node (not supported)' })
  remove(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }

  @Post(':id/state')
  @HeketiEndpoint({ errors: [501], summary: 'Change node state (not supported)' })
  setState(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }

  @Post(':id/tags')
  @HeketiEndpoint({ errors: [501], summary: 'Change node tags (not supported)' })
  setTags(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }
}
