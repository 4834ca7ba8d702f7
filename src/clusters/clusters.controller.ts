import { Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { HeketiIdPipe } from '../common/heketi-id.pipe.js';
import { PreRendered, renderedOnce } from '../http/http-answers.js';
import { topologyIsGlusters } from '../common/not-supported.js';
import { ClustersService } from './clusters.service.js';
import { ClusterInfoResponseDto, ClusterListResponseDto } from './dto/topology-response.dto.js';

@ApiTags('clusters')
@Controller('clusters')
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @Get()
  @HeketiEndpoint({ summary: 'List clusters (one per Gluster volume)' })
  @ApiOkResponse({ type: ClusterListResponseDto })
  list(): ClusterListResponseDto {
    return this.clusters.list();
  }

  @Get(':id')
  @HeketiEndpoint({ errors: [404], summary: 'Cluster information' })
  @ApiOkResponse({ type: ClusterInfoResponseDto })
  async info(@Param('id', HeketiIdPipe) id: string): Promise<PreRendered<ClusterInfoResponseDto>> {
    return renderedOnce(await this.clusters.info(id));
  }

  @Post()
  @HeketiEndpoint({ errors: [501], summary: 'Create a cluster (not supported: clusters are Gluster volumes)' })
  create(): never {
    throw topologyIsGlusters();
  }

  @Post(':id/flags')
  @HeketiEndpoint({ errors: [501], summary: 'Set cluster flags (not supported)' })
  setFlags(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }

  @Delete(':id')
  @HeketiEndpoint({ errors: [501], summary: 'Delete a cluster (not supported)' })
  remove(@Param('id', HeketiIdPipe) _id: string): never {
    throw topologyIsGlusters();
  }
}
