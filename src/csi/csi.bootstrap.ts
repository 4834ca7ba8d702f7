import { INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcOptions, Transport } from '@nestjs/microservices';
import { lstat, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { nestLoggerFor } from '../logging/root-logger.js';
import { CsiExceptionFilter } from './csi-exception.filter.js';
import { CSI_PROTO_PATH } from './csi-files.js';
import { CsiRootModule } from './csi.module.js';

/** How every CSI service reads and writes messages; csi.types.ts describes the result. */
export const CSI_LOADER_OPTIONS = {
  defaults: true,
  enums: String,
  keepCase: true,
  longs: String,
  oneofs: true,
};

function grpcOptions(config: AppConfig): GrpcOptions {
  return {
    options: {
      loader: CSI_LOADER_OPTIONS,
      package: 'csi.v1',
      protoPath: CSI_PROTO_PATH,
      url: `unix://${config.csi.socketPath!}`,
    },
    transport: Transport.GRPC,
  };
}

/** A socket left by an earlier run would make the bind fail; anything else at that path is not ours to remove. */
async function removeStaleSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  try {
    if (!(await lstat(path)).isSocket()) {
      throw new Error(`PIRAGUA_CSI_ENDPOINT: ${path} exists and is not a socket`);
    }
    await rm(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }
}

function announce(config: AppConfig, withApi: boolean): void {
  new Logger('Bootstrap').log(
    `piragua CSI (${config.csi.mode}) serving on ${config.csi.endpoint!}${withApi ? ', beside the REST API' : ''}`,
  );
}

/** A process that serves only CSI (a node plugin, or a controller provisioning through PIRAGUA_HEKETI_URL). */
export async function startCsiOnly(config: AppConfig): Promise<void> {
  await removeStaleSocket(config.csi.socketPath!);
  const app = await NestFactory.createMicroservice<GrpcOptions>(CsiRootModule.forRoot(config), {
    ...grpcOptions(config),
    logger: nestLoggerFor(config),
  });
  app.useGlobalFilters(new CsiExceptionFilter());
  app.enableShutdownHooks();
  await app.listen();
  announce(config, false);
}

/** CSI beside the REST API in one process (the app's module tree includes CsiModule). */
export async function attachCsi(app: INestApplication, config: AppConfig): Promise<void> {
  await removeStaleSocket(config.csi.socketPath!);
  app.connectMicroservice<GrpcOptions>(grpcOptions(config)).useGlobalFilters(new CsiExceptionFilter());
  await app.startAllMicroservices();
  announce(config, true);
}
