import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parsePrometheusText, valueOf } from './prometheus-text.js';

export const ADMIN_KEY = 'e2e-admin-secret';
const MAX_KEPT_OUTPUT = 4 * 1024 * 1024;
/** Kills the service right after the durable step named in PIRAGUA_TEST_CRASH_AT (e.g. `create:quota`). */
const CRASH_AT_STEP = pathToFileURL(resolve('test/fixtures/crash-at-step.mjs')).href;
export const USER_KEY = 'e2e-user-secret';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function fileTail(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, bytes));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString();
  } finally {
    closeSync(fd);
  }
}

/** The built service (`dist/main.js`) in its own process, as an operator runs it. */
export class PiraguaProcess {
  private output = '';

  private constructor(
    readonly url: string,
    readonly child: ChildProcess,
    /** The CA that signed the service's certificate, when it serves HTTPS (fetch cannot be given one). */
    private readonly ca?: string | Buffer,
    private readonly logFile?: string,
  ) {
    // Only the tail is kept: a benchmark makes millions of request lines.
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.length > 4 * MAX_KEPT_OUTPUT) {
        this.output = this.output.slice(-MAX_KEPT_OUTPUT);
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /**
   * @param env The service's environment; PIRAGUA_TEST_CRASH_AT=<step> preloads the crash hook.
   * @param options.logFile Where the service's output goes instead of this process: a benchmark's
   *   thousands of request lines a second would otherwise cost this process CPU the service needs.
   */
  static async start(
    env: Record<string, string>,
    options: { logFile?: string; tls?: { ca: string | Buffer }; waitReady?: boolean } = {},
  ): Promise<PiraguaProcess> {
    const port = env.HEKETI_HTTP_PORT ? Number(env.HEKETI_HTTP_PORT) : await freePort();
    const output = options.logFile === undefined ? 'pipe' : openSync(options.logFile, 'a');
    const preload = env.PIRAGUA_TEST_CRASH_AT ? ['--import', CRASH_AT_STEP] : [];
    const child = spawn(process.execPath, [...preload, resolve('dist/main.js')], {
      env: {
        HEKETI_ADMIN_KEY: ADMIN_KEY,
        HEKETI_USER_KEY: USER_KEY,
        PATH: process.env.PATH,
        PIRAGUA_LISTEN_ADDRESS: '127.0.0.1',
        ...env,
        HEKETI_HTTP_PORT: String(port),
      },
      stdio: ['ignore', output, output],
    });
    if (typeof output === 'number') {
      closeSync(output);
    }
    const scheme = options.tls ? 'https' : 'http';
    const instance = new PiraguaProcess(`${scheme}://127.0.0.1:${port}`, child, options.tls?.ca, options.logFile);
    await instance.waitFor(options.waitReady === false ? '/hello' : '/health/ready');
    return instance;
  }

  get logs(): string {
    return this.logFile === undefined ? this.output : fileTail(this.logFile, MAX_KEPT_OUTPUT);
  }

  async waitFor(path: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`piragua exited with ${this.child.exitCode}:\n${this.logs}`);
      }
      try {
        if ((await this.statusOf(path)) === 200) {
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`piragua did not answer ${path} within ${timeoutMs} ms:\n${this.logs}`);
  }

  /** One sample of /metrics (plain HTTP only), 0 when the series does not exist yet. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    return valueOf(parsePrometheusText(text), name, labels) ?? 0;
  }

  /** Waits for a log line (lines are written asynchronously, in batches). */
  async untilLogged(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.logs)) {
      if (Date.now() > deadline) {
        throw new Error(`nothing matching ${pattern} was logged within ${timeoutMs} ms:\n${this.logs.slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits on something the service reports rather than on the clock. */
  async untilMetricReaches(name: string, value: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen = await this.metric(name);
    while (seen < value) {
      if (Date.now() > deadline) {
        throw new Error(`${name} stayed at ${seen} for ${timeoutMs} ms, waiting for ${value}:\n${this.logs}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      seen = await this.metric(name);
    }
  }

  private async statusOf(path: string): Promise<number> {
    if (this.ca === undefined) {
      return (await fetch(`${this.url}${path}`)).status;
    }
    return new Promise((resolve, reject) => {
      httpsGet(`${this.url}${path}`, { agent: false, ca: this.ca }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject);
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
      await once(this.child, 'exit');
    }
  }
}
