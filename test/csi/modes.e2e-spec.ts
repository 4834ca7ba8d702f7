import { status } from '@grpc/grpc-js';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PiraguaProcess } from '../piragua-process.js';
import { CsiClient } from './csi-client.js';
import { CsiProcess } from './csi-process.js';

/** What each PIRAGUA_CSI_MODE starts, and how the socket is taken over. */
describe('CSI modes and the socket', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'piragua-csi-modes-'));
  });

  afterAll(async () => {
    await rm(dir, { force: true, recursive: true });
  });

  it('should serve a node plugin without the REST API, the backend or the controller', async () => {
    const port = await freePort();
    const socketPath = join(dir, 'node', 'csi.sock');
    const plugin = await CsiProcess.start(socketPath, {
      HEKETI_HTTP_PORT: String(port),
      PIRAGUA_CSI_MODE: 'node',
      PIRAGUA_CSI_STATE_DIR: join(dir, 'node-state'),
      PIRAGUA_DATA_DIR: join(dir, 'node-data'),
    });
    const client = new CsiClient(socketPath);
    try {
      const { capabilities } = await client.call<{ capabilities: object[] }>('Identity', 'GetPluginCapabilities');
      expect(capabilities).not.toContainEqual(expect.objectContaining({ service: { type: 'CONTROLLER_SERVICE' } }));
      expect(await client.call('Identity', 'Probe')).toEqual({ ready: { value: true } });
      expect((await client.failure('Controller', 'ControllerGetCapabilities')).code).toBe(status.UNIMPLEMENTED);
      expect(await client.call('Node', 'NodeGetInfo')).toHaveProperty('node_id');
      await expect(fetch(`http://127.0.0.1:${port}/hello`)).rejects.toThrow();
      // No backend: the local backend would have made its data directory.
      expect(existsSync(join(dir, 'node-data'))).toBe(false);
    } finally {
      client.close();
      await plugin.stop();
    }
  });

  it('should serve everything in one process in mode all: REST API, controller and node', async () => {
    const socketPath = join(dir, 'all', 'csi.sock');
    const service = await PiraguaProcess.start({
      LOG_FORMAT: 'json',
      PIRAGUA_CSI_ENDPOINT: `unix://${socketPath}`,
      PIRAGUA_CSI_MODE: 'all',
      PIRAGUA_CSI_STATE_DIR: join(dir, 'all-state'),
      PIRAGUA_DATA_DIR: join(dir, 'all-data'),
    });
    const client = new CsiClient(socketPath);
    try {
      expect((await fetch(`${service.url}/hello`)).status).toBe(200);
      expect(await client.call('Controller', 'ControllerGetCapabilities')).toHaveProperty('capabilities');
      expect(await client.call('Node', 'NodeGetInfo')).toHaveProperty('node_id');
    } finally {
      client.close();
      await service.stop();
    }
  });

  it('should take over a socket a killed plugin left behind', async () => {
    const socketPath = join(dir, 'stale', 'csi.sock');
    const holder = spawn(process.execPath, [
      '-e',
      `require('node:fs').mkdirSync(${JSON.stringify(join(dir, 'stale'))});` +
        `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'));`,
    ]);
    await once(holder, 'exit');
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    const plugin = await CsiProcess.start(socketPath, {
      PIRAGUA_CSI_MODE: 'node',
      PIRAGUA_CSI_STATE_DIR: join(dir, 's'),
    });
    const client = new CsiClient(socketPath);
    try {
      expect(await client.call('Identity', 'GetPluginInfo')).toMatchObject({ name: 'piragua.gluster.org' });
    } finally {
      client.close();
      await plugin.stop();
    }
  });

  it('should refuse to start over a file that is not a socket, and leave it alone', () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'precious');
    const run = spawnSync(process.execPath, [resolve('dist/main.js')], {
      encoding: 'utf8',
      env: {
        LOG_FORMAT: 'json',
        PATH: process.env.PATH,
        PIRAGUA_CSI_ENDPOINT: `unix://${path}`,
        PIRAGUA_CSI_MODE: 'node',
      },
      timeout: 30_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/exists and is not a socket/);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it.each([
    [{ PIRAGUA_CSI_MODE: 'node' }, /PIRAGUA_CSI_MODE: needs PIRAGUA_CSI_ENDPOINT/],
    [{ PIRAGUA_CSI_ENDPOINT: 'tcp://0.0.0.0:9000' }, /PIRAGUA_CSI_ENDPOINT must look like unix:\/\/\/csi\/csi.sock/],
    [{ PIRAGUA_CSI_ENDPOINT: 'unix:///x.sock', PIRAGUA_CSI_MODE: 'both' }, /PIRAGUA_CSI_MODE/],
    [{ PIRAGUA_HEKETI_URL: 'ftp://heketi' }, /PIRAGUA_HEKETI_URL must be an http/],
  ])('should stop at start-up on %j', (env, message) => {
    const run = spawnSync(process.execPath, [resolve('dist/main.js')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
