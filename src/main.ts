import 'reflect-metadata';
import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { setupApp } from './app.setup.js';
import type { AppConfig } from './config/app-config.js';
import { buildAppConfig } from './config/config.module.js';
import { InvalidEnvironmentError } from './config/env.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function loadConfigOrExit(): AppConfig {
  try {
    return buildAppConfig();
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      process.stderr.write(`piragua: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

function announceGeneratedKey(config: AppConfig, logger: ConsoleLogger): void {
  const server = `http://127.0.0.1:${config.http.port}`;
  logger.warn(
    [
      'HEKETI_ADMIN_KEY is not set: generated an admin key for this run and listening on 127.0.0.1 only.',
      `  admin key: ${config.auth.adminKey}`,
      `  try: heketi-cli --server ${server} --user admin --secret '${config.auth.adminKey}' cluster list`,
      'Set HEKETI_ADMIN_KEY (and HEKETI_USER_KEY) to keep a key across restarts and to listen on other addresses.',
    ].join('\n'),
    'Bootstrap',
  );
}

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = new ConsoleLogger({
    json: config.log.format === 'json',
    logLevels: LEVELS.slice(0, LEVELS.indexOf(config.log.level as LogLevel) + 1),
  });
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false, logger });
  setupApp(app);
  // Longer than the idle timeouts of common clients and load balancers, so a reused connection is
  // not closed by us just as a client sends on it.
  const server = app.getHttpServer() as { headersTimeout: number; keepAliveTimeout: number };
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await app.listen(config.http.port, config.http.listenAddress);
  if (config.auth.adminKeyGenerated) {
    announceGeneratedKey(config, logger);
  }
  logger.log(`piragua (${config.backend} backend) listening on ${config.http.listenAddress}:${config.http.port}`, 'Bootstrap');
}

void bootstrap();
