import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { GlusterGateway } from '../gluster/gluster.gateway.js';

const PROBE_TIMEOUT_MS = 5000;

/** One terminus indicator per backend probe (e.g. glusterd, quota, mount), each with a timeout. */
@Injectable()
export class BackendHealthIndicator {
  constructor(
    private readonly gateway: GlusterGateway,
    private readonly health: HealthIndicatorService,
  ) {}

  names(): string[] {
    return this.gateway.probeNames();
  }

  check(name: string): PromiseLike<HealthIndicatorResult> {
    return this.health
      .check(name)
      .attempt(async () => {
        const result = await this.gateway.probe(name);
        if (!result.ok) {
          throw new Error(result.problem ?? 'down');
        }
        return result.details;
      })
      .withTimeout(PROBE_TIMEOUT_MS);
  }
}
