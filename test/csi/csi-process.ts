import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { CsiClient } from './csi-client.js';

/** The built service started as a CSI-only plugin (no REST API), as a pod's container runs it. */
export class CsiProcess {
  private output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly socketPath: string,
  ) {
    const keep = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(socketPath: string, env: Record<string, string>): Promise<CsiProcess> {
    const child = spawn(process.execPath, [resolve('dist/main.js')], {
      env: { LOG_FORMAT: 'json', PATH: process.env.PATH, PIRAGUA_CSI_ENDPOINT: `unix://${socketPath}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const instance = new CsiProcess(child, socketPath);
    await instance.waitReady();
    return instance;
  }

  get logs(): string {
    return this.output;
  }

  private async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`piragua exited with ${this.child.exitCode}:\n${this.logs}`);
      }
      const client = new CsiClient(this.socketPath);
      try {
        await client.call('Identity', 'GetPluginInfo', {}, 1000);
        return;
      } catch {
        // not listening yet
      } finally {
        client.close();
      }
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error(`the CSI socket ${this.socketPath} did not answer within ${timeoutMs} ms:\n${this.logs}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
      await once(this.child, 'exit');
    }
  }
}
