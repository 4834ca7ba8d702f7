import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, loadEnv } from './env.js';

describe(loadEnv.name, () => {
  it('should pick up a known variable and ignore one it does not know', () => {
    const env = loadEnv({ HEKETI_HTTP_PORT: '8081', PIRAGUA_NO_SUCH_SETTING: 'x', HOME: '/root' });
    expect(env.HEKETI_HTTP_PORT).toBe(8081);
    expect(Object.keys(env)).toEqual(['HEKETI_HTTP_PORT']);
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('should know every variable, the last and first declared included', () => {
    const env = loadEnv({
      GLUSTER_CLI: '/usr/sbin/gluster',
      PIRAGUA_WARM_POOL: '1:16, 10:4',
      PIRAGUA_ENABLE_QUOTA: 'yes',
    });
    expect(env).toEqual({
      GLUSTER_CLI: '/usr/sbin/gluster',
      PIRAGUA_ENABLE_QUOTA: true,
      PIRAGUA_WARM_POOL: '1:16,10:4',
    });
  });

  it('should treat an empty value as unset', () => {
    // toEqual: the keys are there, holding undefined.
    expect(loadEnv({ HEKETI_HTTP_PORT: '', LOG_LEVEL: '', PIRAGUA_ENABLE_QUOTA: '' })).toEqual({});
  });

  it('should report every problem at once, with the value it got', () => {
    const error = (() => {
      try {
        loadEnv({ HEKETI_HTTP_PORT: 'eighty', PIRAGUA_BACKEND: 'ceph', PIRAGUA_WARM_POOL: '1' });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    expect((error as InvalidEnvironmentError).problems).toEqual([
      'HEKETI_HTTP_PORT must not be greater than 65535 (got "eighty")',
      'HEKETI_HTTP_PORT must not be less than 1 (got "eighty")',
      'HEKETI_HTTP_PORT must be an integer number (got "eighty")',
      'PIRAGUA_BACKEND must be one of the following values: local, gluster (got "ceph")',
      'PIRAGUA_WARM_POOL must be a comma-separated list of <GiB>:<count>, e.g. 1:16,10:4 (got "1")',
    ]);
  });
});
