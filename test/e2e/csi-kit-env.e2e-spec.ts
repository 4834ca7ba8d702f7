import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKit, piraguaContainers, readKit } from '../k8s/kit.loader.js';

/**
 * The built service started with exactly the environment a piragua container of
 * deploy/kubernetes/csi gets (paths moved into a temporary directory, downward-API and Secret
 * values stood in for): it must come up and listen on its CSI socket.
 */
describe('deploy/kubernetes/csi: the piragua containers start with their manifest environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'piragua-kit-env-'));
  afterAll(() => {
    spawn('rm', ['-rf', dir]);
  });

  it.each(piraguaContainers(loadKit(readKit())).map(({ mode, piragua }) => [mode, piragua] as const))(
    '%s',
    async (mode, piragua) => {
      const socket = join(dir, `${mode}.sock`);
      const env: Record<string, string> = { LOG_FORMAT: 'text', PATH: process.env.PATH ?? '' };
      for (const variable of piragua.env ?? []) {
        env[variable.name] = variable.value ?? (variable.valueFrom?.fieldRef ? 'node-1' : 'key-from-a-secret');
      }
      expect(env.PIRAGUA_CSI_MODE).toBe(mode);
      env.PIRAGUA_CSI_ENDPOINT = `unix://${socket}`;
      if (env.PIRAGUA_CSI_STATE_DIR !== undefined) {
        env.PIRAGUA_CSI_STATE_DIR = join(dir, `${mode}-state`);
      }
      const child = spawn(process.execPath, [resolve('dist/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        const deadline = Date.now() + 30_000;
        const serving = `piragua CSI (${mode}) serving on unix://${socket}`;
        while (!output.includes(serving) && child.exitCode === null && Date.now() < deadline) {
          await new Promise((done) => setTimeout(done, 100));
        }
        expect(existsSync(socket), output).toBe(true);
        expect(output).toContain(serving);
      } finally {
        child.kill();
        if (child.exitCode === null) {
          await once(child, 'exit');
        }
      }
    },
  );
});
