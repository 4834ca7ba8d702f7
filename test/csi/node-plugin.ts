import { credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

type Callback = (error: ServiceError | null, response: Record<string, unknown>) => void;
type GrpcClient = Record<string, (request: object, options: { deadline: number }, callback: Callback) => void> & {
  close(): void;
};
type ClientConstructor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => GrpcClient;

const definition = loadSync(resolve('proto/csi.proto'), {
  defaults: true,
  enums: String,
  keepCase: true,
  longs: String,
  oneofs: true,
});
const csi = (loadPackageDefinition(definition) as unknown as { csi: { v1: Record<string, ClientConstructor> } }).csi.v1;

/** A grpc-js client of csi.v1.Node (and Identity) over the plugin's UNIX socket. */
export class NodeClient {
  private readonly node: GrpcClient;

  constructor(readonly socket: string) {
    this.node = new csi.Node!(`unix://${socket}`, credentials.createInsecure());
  }

  /** The response, or the gRPC error as a value: a test asserts either. */
  call(method: string, request: object = {}, timeoutMs = 30_000): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      this.node[method]!(request, { deadline: Date.now() + timeoutMs }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  async error(method: string, request: object = {}): Promise<{ code: number; details: string }> {
    try {
      await this.call(method, request);
    } catch (error) {
      return { code: (error as ServiceError).code, details: (error as ServiceError).details };
    }
    throw new Error(`${method} succeeded where a failure was expected`);
  }

  close(): void {
    this.node.close();
  }
}

/** `node dist/main.js` serving csi.v1.Node, optionally in its own PID namespace as a container runs it. */
export class NodePlugin {
  private output = '';

  client: NodeClient;

  private constructor(
    readonly child: ChildProcess,
    private readonly socket: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static async start(options: {
    env?: Record<string, string>;
    mode?: 'node' | 'all';
    /** Run under `unshare --pid --fork --kill-child`: killing it kills every process the plugin started. */
    pidNamespace?: boolean;
    socket: string;
    stateDir: string;
    /** false: return at once, without any CSI call (call waitReady() later). */
    waitReady?: boolean;
  }): Promise<NodePlugin> {
    const argv = [process.execPath, resolve('dist/main.js')];
    const command = options.pidNamespace ? ['unshare', '--pid', '--fork', '--kill-child', ...argv] : argv;
    const child = spawn(command[0]!, command.slice(1), {
      env: {
        LOG_FORMAT: 'json',
        PATH: process.env.PATH,
        PIRAGUA_CSI_ENDPOINT: `unix://${options.socket}`,
        PIRAGUA_CSI_MODE: options.mode ?? 'node',
        PIRAGUA_CSI_NODE_ID: 'node-e2e',
        PIRAGUA_CSI_STATE_DIR: options.stateDir,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const plugin = new NodePlugin(child, options.socket);
    if (options.waitReady !== false) {
      await plugin.waitReady();
    }
    return plugin;
  }

  get logs(): string {
    return this.output;
  }

  /** A fresh client per attempt: grpc-js backs off for seconds after a socket that is not there yet. */
  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the node plugin exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.logs}`);
      }
      const client = new NodeClient(this.socket);
      try {
        await client.call('NodeGetInfo', {}, 500);
        this.client = client;
        return;
      } catch (error) {
        client.close();
        if (Date.now() > deadline) {
          throw new Error(`the node plugin did not answer within ${timeoutMs} ms (${String(error)}):\n${this.logs}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (a clean stop) or SIGKILL (a crash; with pidNamespace, the whole namespace dies). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.client?.close();
    if (this.alive) {
      this.child.kill(signal);
      await once(this.child, 'exit');
    }
  }
}

/** The mount points under `prefix`, as the kernel lists them (a test asserts it leaves none). */
export async function mountsUnder(prefix: string): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((mountPoint): mountPoint is string => mountPoint !== undefined && mountPoint.startsWith(prefix));
}
