import { describe, expect, it } from 'vitest';
import { AppConfig } from './app-config.js';
import { InvalidEnvironmentError, loadEnv } from './env.js';
import { withRustPiraguaNames } from './rust-piragua-env.js';

describe('withRustPiraguaNames', () => {
  it('should read the Rust piragua environment file unchanged', () => {
    const config = new AppConfig(
      loadEnv({
        GLUSTER_VOL: 'gv0',
        JWT_SECRET: Buffer.from('My Secret').toString('base64'),
        ROCKET_ADDRESS: '10.0.0.5',
        ROCKET_PORT: '8000',
      }),
      false,
    );
    expect(config.backend).toBe('gluster');
    expect(config.gluster.volumes).toEqual(['gv0']);
    expect(config.auth).toMatchObject({ adminKey: 'My Secret', adminKeyGenerated: false });
    expect(config.http).toMatchObject({ listenAddress: '10.0.0.5', port: 8000 });
  });

  it("should let piragua's own names win over the old ones", () => {
    const merged = withRustPiraguaNames({
      GLUSTER_VOL: 'old',
      HEKETI_ADMIN_KEY: 'new-key',
      JWT_SECRET: 'b2xkLWtleQ==',
      PIRAGUA_BACKEND: 'local',
      PIRAGUA_GLUSTER_VOLUMES: 'new',
    });
    expect(merged).toMatchObject({
      HEKETI_ADMIN_KEY: 'new-key',
      PIRAGUA_BACKEND: 'local',
      PIRAGUA_GLUSTER_VOLUMES: 'new',
    });
  });

  it('should refuse a JWT_SECRET that is not base64 rather than run with a made-up key', () => {
    expect(() => loadEnv({ GLUSTER_VOL: 'gv0', JWT_SECRET: 'not base64!' })).toThrow(InvalidEnvironmentError);
    expect(() => loadEnv({ GLUSTER_VOL: 'gv0', JWT_SECRET: 'not base64!' })).toThrow(
      /JWT_SECRET: must be the base64 encoding/,
    );
  });
});
