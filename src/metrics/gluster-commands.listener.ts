import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { GLUSTER_COMMAND_RAN, GlusterCommandRan } from '../gluster/gluster-cli.events.js';
import { MetricsService } from './metrics.service.js';

/** Counts each gluster call into the command histogram and the lock-retry counter. */
@Injectable()
export class GlusterCommandsListener {
  constructor(private readonly metrics: MetricsService) {}

  @OnEvent(GLUSTER_COMMAND_RAN)
  onCommand(event: GlusterCommandRan): void {
    this.metrics.observeGlusterCommand(event);
  }
}
