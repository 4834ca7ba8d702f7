import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { CsiClient } from './csi-client.js';

/** The built service started as a CSI-only plugin (no REST API), as a pod's container runs it. */
export class CsiProcess {
  private output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly socketPath: string,
    private readonly logFile?: string,
  ) {
    const keep = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** @param options.logFile Where the output goes instead of this process (benchmarks). */
  static async start(
    socketPath: string,
    env: Record<string, string>,
    options: { logFile?: string } = {},
  ): Promise<CsiProcess> {
    const output = options.logFile === undefined ? 'pipe' : openSync(options.logFile, 'a');
    const child = spawn(process.execPath, [resolve('dist/main.js')], {
      env: { LOG_FORMAT: 'json', PATH: process.env.PATH, PIRAGUA_CSI_ENDPOINT: `unix://${socketPath}`, ...env },
      stdio: ['ignore', output, output],
    });
    if (typeof output === 'number') {
      closeSync(output);
    }
    const instance = new CsiProcess(child, socketPath, options.logFile);
    await instance.waitReady();
    return instance;
  }

  get logs(): string {
    return this.logFile === undefined ? this.output : readFileSync(this.logFile, 'utf8');
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
