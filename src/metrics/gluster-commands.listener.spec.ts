import { Injectable, INestApplicationContext, OnModuleInit } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appConfig } from '../../test/factories/app-config.factory.js';
import { createTestingContext } from '../../test/factories/nest-app.factory.js';
import { AppConfig } from '../config/app-config.js';
import type { GlusterCommandRan } from '../gluster/gluster-cli.events.js';
import { GlusterCli } from '../gluster/gluster-cli.js';
import { LockRetryPolicy } from '../gluster/lock-retry.policy.js';
import { GlusterCommandsListener } from './gluster-commands.listener.js';
import { MetricsService } from './metrics.service.js';

const FAKE_GLUSTER = fileURLToPath(new URL('../../test/fixtures/bin/gluster', import.meta.url));
const POOL_LIST = fileURLToPath(new URL('../../test/fixtures/gluster/pool-list.xml', import.meta.url));

/** Runs a gluster command in its init hook, as the Gluster topology does before listeners are attached. */
@Injectable()
class StartUpWork implements OnModuleInit {
  constructor(private readonly cli: GlusterCli) {}

  async onModuleInit(): Promise<void> {
    await this.cli.poolList();
  }
}

describe(GlusterCommandsListener.name, () => {
  let context: INestApplicationContext;
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'piragua-fake-gluster-'));
    process.env.FAKE_GLUSTER_DIR = dir;
    process.env.FAKE_GLUSTER_LOG = join(dir, 'argv.log');
    await copyFile(POOL_LIST, join(dir, 'default.stdout'));
  });

  afterEach(async () => {
    await context.close();
    await rm(dir, { force: true, recursive: true });
  });

  it('should count the gluster commands run at start-up, before @OnEvent listeners were attached', async () => {
    const observed: GlusterCommandRan[] = [];
    context = await createTestingContext({
      imports: [EventEmitterModule.forRoot()],
      providers: [
        { provide: AppConfig, useValue: appConfig({ GLUSTER_CLI: FAKE_GLUSTER }) },
        { provide: LockRetryPolicy, useValue: new LockRetryPolicy() },
        {
          provide: MetricsService,
          useValue: { observeGlusterCommand: (event: GlusterCommandRan) => observed.push(event) },
        },
        GlusterCli,
        GlusterCommandsListener,
        StartUpWork,
      ],
    });
    expect(observed).toEqual([expect.objectContaining({ lockRetries: 0, outcome: 'ok', subcommand: 'pool list' })]);
    await context.get(GlusterCli).poolList();
    expect(observed).toHaveLength(2);
  });
});
