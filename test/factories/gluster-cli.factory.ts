import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import type { AppConfig } from '../../src/config/app-config.js';
import { GlusterCli } from '../../src/gluster/gluster-cli.js';
import { LockRetryPolicy } from '../../src/gluster/lock-retry.policy.js';

/** A GlusterCli outside Nest, with the production retry policy and an event bus nobody listens to. */
export function glusterCli(config: AppConfig): GlusterCli {
  const listeners = new EventEmitterReadinessWatcher();
  listeners.setReady();
  return new GlusterCli(config, new LockRetryPolicy(), new EventEmitter2(), listeners);
}
