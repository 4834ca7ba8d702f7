import { DynamicModule, INestApplication, INestApplicationContext, Module, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { AddressInfo } from 'node:net';
import { createHttpAdapter } from '../../src/http/heketi-http.adapter.js';

@Module({})
class SpecModule {}

// @nestjs/testing is not a dependency of this project, so specs build their module with
// NestFactory directly. abortOnError: false makes a wiring mistake fail the spec instead of
// calling process.exit; logger: false keeps expected failures out of the test output.
const OPTIONS = { abortOnError: false, logger: false } as const;

/** With the event bus the service's root module has, so that listeners in `metadata` hear what its providers emit. */
function specModule(metadata: ModuleMetadata): DynamicModule {
  return { module: SpecModule, ...metadata, imports: [EventEmitterModule.forRoot(), ...(metadata.imports ?? [])] };
}

/** Compiles `metadata` into a module and runs its init hooks (onModuleInit, onApplicationBootstrap). */
export function createTestingContext(metadata: ModuleMetadata): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(specModule(metadata), OPTIONS);
}

/** Builds an HTTP app from `metadata` on the service's own HTTP adapter and listens on an ephemeral loopback port. */
export async function listenTestingApp(metadata: ModuleMetadata): Promise<{ app: INestApplication; baseUrl: string }> {
  const app = await NestFactory.create(specModule(metadata), createHttpAdapter(), {
    ...OPTIONS,
    bodyParser: false,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}` };
}
