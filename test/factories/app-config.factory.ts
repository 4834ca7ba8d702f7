import { AppConfig } from '../../src/config/app-config.js';
import { loadEnv } from '../../src/config/env.js';

export const ADMIN_KEY = 'admin secret for specs';
export const USER_KEY = 'user secret for specs';

/** An AppConfig built the way ConfigModule builds it, from an environment with both Heketi keys set. */
export function appConfig(env: Record<string, string> = {}): AppConfig {
  return new AppConfig(loadEnv({ HEKETI_ADMIN_KEY: ADMIN_KEY, HEKETI_USER_KEY: USER_KEY, ...env }));
}
