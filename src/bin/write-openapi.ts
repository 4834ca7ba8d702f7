import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { readFile, writeFile } from 'node:fs/promises';
import { AppModule } from '../app.module.js';
import { buildOpenApi } from '../app.setup.js';
import { AppConfig } from '../config/app-config.js';
import { loadEnv } from '../config/env.js';
import { createHttpAdapter } from '../http/heketi-http.adapter.js';

/**
 * Writes the OpenAPI document to a file, or with --check fails when the committed one is stale.
 * Preview mode builds the routes without starting any provider, so no backend is touched.
 */
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const target = process.argv.filter((arg) => !arg.startsWith('--')).at(-1) ?? 'openapi.json';
  const app = await NestFactory.create(AppModule.forRoot(new AppConfig(loadEnv({}))), createHttpAdapter(), {
    logger: false,
    preview: true,
  });
  const document = `${JSON.stringify(buildOpenApi(app), null, 2)}\n`;
  await app.close();
  if (!check) {
    await writeFile(target, document);
    return;
  }
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== document) {
    process.stderr.write(`${target} is out of date: run 'npm run openapi' and commit the result.\n`);
    process.exit(1);
  }
  process.stdout.write(`${target} is current.\n`);
}

void main();
