import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { PiraguaProcess } from '../piragua-process.js';

const dataDir = () => mkdtempSync(join(tmpdir(), 'piragua-start-'));

describe('Start-up, configuration and health', () => {
  it('should refuse to start on bad configuration, listing every problem at once', () => {
    const result = spawnSync(process.execPath, [resolve('dist/main.js')], {
      encoding: 'utf8',
      env: { HEKETI_HTTP_PORT: 'eighty', PATH: process.env.PATH, PIRAGUA_BACKEND: 'ceph', PIRAGUA_OVERCOMMIT: '-1' },
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Invalid environment variables:');
    for (const variable of ['HEKETI_HTTP_PORT', 'PIRAGUA_BACKEND', 'PIRAGUA_OVERCOMMIT']) {
      expect(result.stderr).toContain(variable);
    }
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('should require the Gluster volumes with the gluster backend', () => {
    const result = spawnSync(process.execPath, [resolve('dist/main.js')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PIRAGUA_BACKEND: 'gluster' },
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PIRAGUA_GLUSTER_VOLUMES: required when PIRAGUA_BACKEND=gluster');
  });

  it('should not run open without an admin key: a generated key, printed once, on 127.0.0.1 only', async () => {
    const server = await PiraguaProcess.start({
      HEKETI_ADMIN_KEY: '',
      PIRAGUA_DATA_DIR: dataDir(),
      PIRAGUA_LISTEN_ADDRESS: '0.0.0.0',
    });
    try {
      const key = /admin key: (\S+)/.exec(server.logs)?.[1];
      expect(key).toBeDefined();
      expect(server.logs).toContain(`--user admin --secret '${key}' cluster list`);
      expect(server.logs).toContain('listening on 127.0.0.1:');
      expect((await new HeketiClient(server.url, key!).request('GET', '/clusters')).status).toBe(200);
      expect((await new HeketiClient(server.url, 'guess').request('GET', '/clusters')).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it('should report not ready, with the reason, when the data directory stops working', async () => {
    const dir = dataDir();
    const server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: dir });
    try {
      expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
      rmSync(join(dir, 'local', '.piragua'), { recursive: true });
      writeFileSync(join(dir, 'local', '.piragua'), 'not a directory');
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        details: { backend: { message: expect.stringContaining('not writable'), status: 'down' } },
        status: 'error',
      });
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('should serve the committed OpenAPI document and Swagger UI', async () => {
    const server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: dataDir() });
    try {
      const served = await (await fetch(`${server.url}/docs-json`)).json();
      expect(served).toEqual(JSON.parse(readFileSync('openapi.json', 'utf8')));
      const ui = await fetch(`${server.url}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger-ui');
    } finally {
      await server.stop();
    }
  });
});
