import './heap-tuning.js';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { AppConfig } from './config/app-config.js';
import { buildAppConfig } from './config/config.module.js';
import { InvalidEnvironmentError } from './config/env.js';
import { attachCsi, startCsiOnly } from './csi/csi.bootstrap.js';
import { nestLoggerFor, rootLoggerFor } from './logging/root-logger.js';

function loadConfigOrExit(): AppConfig {
  try {
    return buildAppConfig();
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      exitWith(error.message);
    }
    throw error;
  }
}

/** The certificate and key are read once, before Nest starts: a bad path stops the service like a bad variable. */
function loadTlsOrExit(config: AppConfig): { cert: Buffer; key: Buffer } | undefined {
  const tls = config.http.tls;
  if (tls === undefined) {
    return undefined;
  }
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      // Node's message is "ENOENT: no such file or directory, open '<file>'"; keep the reason, name the file once.
      const reason = (error as Error).message.split(',')[0];
      return exitWith(`${variable}: cannot read ${file} (${reason})`);
    }
  };
  const options = { cert: read('PIRAGUA_TLS_CERT', tls.certFile), key: read('PIRAGUA_TLS_KEY', tls.keyFile) };
  try {
    // Fails on a file that is not PEM, or a key that does not belong to the certificate.
    createSecureContext(options);
  } catch (error) {
    return exitWith(
      `PIRAGUA_TLS_CERT and PIRAGUA_TLS_KEY: not a usable certificate and key (${(error as Error).message})`,
    );
  }
  return options;
}

function exitWith(message: string): never {
  process.stderr.write(`piragua: ${message}\n`);
  process.exit(2);
}

/**
 * The one log line that carries a key, on purpose: without HEKETI_ADMIN_KEY the operator has no
 * other way to learn it. Marked `sensitive` so that collectors can drop it, and written whatever
 * LOG_LEVEL is.
 */
function announceGeneratedKey(config: AppConfig): void {
  const server = `${config.http.tls ? 'https' : 'http'}://127.0.0.1:${config.http.port}`;
  const key = config.auth.adminKey;
  rootLoggerFor(config)
    .child({ context: 'Bootstrap', sensitive: true }, { level: 'info' })
    .warn(
      `HEKETI_ADMIN_KEY is not set: generated an admin key for this run, listening on 127.0.0.1 only; admin key: ${key} ; ` +
        `try: heketi-cli --server ${server} --user admin --secret '${key}' cluster list ; ` +
        'set HEKETI_ADMIN_KEY (and HEKETI_USER_KEY) to keep a key across restarts and to listen on other addresses',
    );
}

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.csiOnly) {
    return startCsiOnly(config);
  }
  // Loaded only here: a CSI-only process (a restarted node plugin) must not pay for the REST stack.
  const [{ AppModule }, { setupApp }, { createHttpAdapter }, { RequestLogger }] = await Promise.all([
    import('./app.module.js'),
    import('./app.setup.js'),
    import('./common/http-adapter.js'),
    import('./logging/request-logger.js'),
  ]);
  const https = loadTlsOrExit(config);
  const adapter = createHttpAdapter({ https, requestLogger: new RequestLogger(rootLoggerFor(config)) });
  // Given at creation, not buffered: even a failing start-up logs through pino, in LOG_FORMAT.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    logger: nestLoggerFor(config),
  });
  setupApp(app);
  // Node closes a connection whose headers take this long; just past the keep-alive timeout, as Node wants.
  app.getHttpServer().headersTimeout = 66_000;
  if (config.csi.endpoint !== undefined) {
    await attachCsi(app, config);
  }
  await app.listen(config.http.port, config.http.listenAddress);
  if (config.auth.adminKeyGenerated) {
    announceGeneratedKey(config);
  }
  const address = `${config.http.listenAddress}:${config.http.port}`;
  new Logger('Bootstrap').log(
    `piragua (${config.backend} backend) listening on ${https ? `https://${address}` : address}`,
  );
}

bootstrap().catch((error: unknown) => {
  // One JSON line (Nest has usually logged the cause already) instead of Node's unhandled-rejection dump.
  new Logger('Bootstrap').fatal({ err: error, msg: 'piragua could not start' });
  process.exit(1);
});
