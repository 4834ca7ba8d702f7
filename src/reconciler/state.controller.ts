import { Controller, Get, Post } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HeketiEndpoint } from '../common/heketi-endpoint.decorator.js';
import { ReconcilerService } from './reconciler.service.js';
import { type ClusterReport, FINDING_KINDS } from './reconciler.types.js';

class FindingDto {
  @ApiProperty({ enum: FINDING_KINDS })
  kind: string;

  @ApiProperty({ required: false })
  volumeId?: string;

  @ApiProperty()
  detail: string;

  @ApiProperty({ description: 'Whether this pass fixed it (always false when only examining)' })
  repaired: boolean;
}

class ClusterReportDto {
  @ApiProperty()
  cluster: string;

  @ApiProperty({ description: 'The Gluster volume' })
  volume: string;

  @ApiProperty({ type: [FindingDto] })
  findings: FindingDto[];
}

export class StateReportDto {
  @ApiProperty({ type: [ClusterReportDto] })
  clusters: ClusterReport[];
}

@ApiTags('state')
@Controller('internal/state')
export class StateController {
  constructor(private readonly reconciler: ReconcilerService) {}

  @Get('examine/gluster')
  @HeketiEndpoint({
    description:
      'Compares records, directories, quotas, name reservations, locks and operations on every Gluster volume, and lists what does not add up. Changes nothing.',
    summary: 'Examine the Gluster state',
  })
  @ApiOkResponse({ type: StateReportDto })
  async examine(): Promise<StateReportDto> {
    return { clusters: await this.reconciler.reconcile(false) };
  }

  @Post('repair/gluster')
  @HeketiEndpoint({
    description:
      'Applies the safe fixes the examination lists: finishes or rolls back interrupted operations, removes orphans, restores missing quotas. The same pass runs at start-up and every PIRAGUA_RECONCILE_SECONDS.',
    summary: 'Repair the Gluster state',
  })
  @ApiOkResponse({ type: StateReportDto })
  async repair(): Promise<StateReportDto> {
    return { clusters: await this.reconciler.reconcile(true) };
  }
}
