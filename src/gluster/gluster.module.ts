import { Module } from '@nestjs/common';
import { GlusterCli } from './gluster-cli.js';
import { LockRetryPolicy } from './lock-retry.policy.js';

@Module({
  exports: [GlusterCli],
  providers: [GlusterCli, { provide: LockRetryPolicy, useValue: new LockRetryPolicy() }],
})
export class GlusterModule {}
