import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';

/** The crash hook the glusterd tier's kill -9 specs rely on, checked on the local backend. */
describe('PIRAGUA_TEST_CRASH_AT (test/fixtures/crash-at-step.mjs)', () => {
  it('should kill the service with SIGKILL right after the named step, and not before', async () => {
    const env = { PIRAGUA_DATA_DIR: mkdtempSync(join(tmpdir(), 'piragua-crash-')) };
    const server = await PiraguaProcess.start({ ...env, PIRAGUA_TEST_CRASH_AT: 'delete:trash' });
    const exited = once(server.child, 'exit');
    try {
      const admin = new HeketiClient(server.url, ADMIN_KEY);
      const created = await admin.async('POST', '/volumes', { size: 1 });
      expect(created.final.status, created.final.body).toBe(200);
      expect(server.child.signalCode).toBeNull();
      await admin.request('DELETE', `/volumes/${created.final.json().id}`).catch(() => undefined);
      await exited;
      expect(server.child.signalCode).toBe('SIGKILL');
    } finally {
      await server.stop();
    }
  });

  it('should leave the service alone without it', async () => {
    const server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: mkdtempSync(join(tmpdir(), 'piragua-crash-')) });
    try {
      const admin = new HeketiClient(server.url, ADMIN_KEY);
      const created = await admin.async('POST', '/volumes', { size: 1 });
      expect((await admin.async('DELETE', `/volumes/${created.final.json().id}`)).final.status).toBe(204);
      expect(server.child.exitCode).toBeNull();
    } finally {
      await server.stop();
    }
  });
});
