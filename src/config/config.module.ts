import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import { InvalidEnvironmentError, loadEnv } from './env.js';

/** Validates the environment once; throws one error listing every problem. */
export function buildAppConfig(source?: NodeJS.ProcessEnv): AppConfig {
  const env = loadEnv(source);
  const config = new AppConfig(env);
  const problems = config.crossChecks(env);
  if (problems.length > 0) {
    throw new InvalidEnvironmentError(problems);
  }
  return config;
}

@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      exports: [AppConfig],
      global: true,
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }],
    };
  }
}
