import { Module } from '@nestjs/common';
import { GlusterCli } from './gluster-cli.js';

@Module({
  exports: [GlusterCli],
  providers: [GlusterCli],
})
export class GlusterModule {}
