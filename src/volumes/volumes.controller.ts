import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Issuer } from '../auth/issuer.decorator.js';
import { UserAllowed } from '../auth/user-allowed.decorator.js';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { HeketiIdPipe } from '../common/heketi-id.pipe.js';
import { AsyncAccepted, PreRendered, renderedOnce } from '../http/http-answers.js';
import { notSupported } from '../common/not-supported.js';
import { CreateVolumeDto } from './dto/create-volume.dto.js';
import { ExpandVolumeDto } from './dto/expand-volume.dto.js';
import { VolumeListResponseDto, VolumeResponseDto } from './dto/volume-response.dto.js';
import { VolumesService } from './volumes.service.js';

@ApiTags('volumes')
@Controller('volumes')
export class VolumesController {
  constructor(private readonly volumes: VolumesService) {}

  @Get()
  @UserAllowed()
  @HeketiEndpoint({
    summary: 'List volume ids',
    description: 'Sorted; volumes being created or deleted are left out. Allowed for the `user` issuer.',
  })
  @ApiOkResponse({ type: VolumeListResponseDto })
  async list(): Promise<PreRendered<VolumeListResponseDto>> {
    return renderedOnce(await this.volumes.list());
  }

  @Post()
  @HttpCode(202)
  @UserAllowed()
  @HeketiEndpoint({
    async: 'result',
    description: 'Makes `<id>/<name>` on the chosen Gluster volume and sets a directory quota of `size` GiB on `<id>`.',
    errors: [400, 422, 429, 500, 501],
    summary: 'Create a volume',
  })
  async create(@Body() dto: CreateVolumeDto, @Issuer() issuer?: string): Promise<AsyncAccepted> {
    return new AsyncAccepted(await this.volumes.create(dto, issuer));
  }

  @Get(':id')
  @HeketiEndpoint({ errors: [404], summary: 'Volume information' })
  @ApiOkResponse({ type: VolumeResponseDto })
  async info(
    @Param('id', HeketiIdPipe) id: string,
    @Headers('referer') referer?: string,
  ): Promise<PreRendered<VolumeResponseDto>> {
    // Go's client sends the queue URL as Referer when it follows the 303; the operation may have
    // finished on another instance, so that read must not come from this instance's cache.
    return renderedOnce(await this.volumes.info(id, referer?.includes('/queue/') ?? false));
  }

  @Post(':id/expand')
  @HttpCode(202)
  @HeketiEndpoint({
    async: 'result',
    description: 'Raises the quota by `expand_size` GiB.',
    errors: [400, 404, 422, 429, 500],
    summary: 'Expand a volume',
  })
  async expand(
    @Param('id', HeketiIdPipe) id: string,
    @Body() dto: ExpandVolumeDto,
    @Issuer() issuer?: string,
  ): Promise<AsyncAccepted> {
    return new AsyncAccepted(await this.volumes.expand(id, dto, issuer));
  }

  @Delete(':id')
  @HttpCode(202)
  @HeketiEndpoint({
    async: 'no-result',
    description:
      'Removes the quota and takes the directory out of the namespace at once; its data is purged in the background. An unknown id answers `404 Id not found`, which Kubernetes treats as already deleted.',
    errors: [404, 409, 429, 500],
    summary: 'Delete a volume',
  })
  async remove(@Param('id', HeketiIdPipe) id: string, @Issuer() issuer?: string): Promise<AsyncAccepted> {
    return new AsyncAccepted(await this.volumes.remove(id, issuer));
  }

  @Post(':id/clone')
  @HeketiEndpoint({ errors: [501], summary: 'Clone a volume (not supported)' })
  clone(@Param('id', HeketiIdPipe) _id: string): never {
    throw notSupported('Volume clones');
  }

  @Post(':id/block-restriction')
  @HeketiEndpoint({ errors: [501], summary: 'Block-hosting restriction (not supported)' })
  blockRestriction(@Param('id', HeketiIdPipe) _id: string): never {
    throw notSupported('Block-hosting volumes');
  }
}
