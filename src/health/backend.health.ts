import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { TopologyBackend } from '../backends/topology/topology.port.js';

const PROBE_TIMEOUT_MS = 5000;

/** One terminus indicator per backend probe (e.g. glusterd, quota, mount), each with a timeout. */
@Injectable()
export class BackendHealthIndicator {
  constructor(
    private readonly topology: TopologyBackend,
    private readonly health: HealthIndicatorService,
  ) {}

  names(): string[] {
    return this.topology.probeNames();
  }

  check(name: string): PromiseLike<HealthIndicatorResult> {
    return this.health
      .check(name)
      .attempt(async () => {
        const result = await this.topology.probe(name);
        if (!result.ok) {
          throw new Error(result.problem ?? 'down');
        }
        return result.details;
      })
      .withTimeout(PROBE_TIMEOUT_MS);
  }
}
