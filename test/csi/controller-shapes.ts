import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { CsiClient } from './csi-client.js';
import { CsiProcess } from './csi-process.js';

export type ShapeName = 'in-process' | 'api';

/**
 * A CSI controller as an operator runs it, on the local backend: `in-process` (one process, the
 * REST API and CSI beside it) or `api` (a CSI-only controller provisioning through the REST API of
 * a second piragua process, as inside Kubernetes).
 */
export class ControllerShape {
  private constructor(
    readonly name: ShapeName,
    readonly dir: string,
    readonly rest: PiraguaProcess,
    private controller: CsiProcess | undefined,
    public csi: CsiClient,
  ) {}

  static async start(name: ShapeName, extraEnv: Record<string, string> = {}): Promise<ControllerShape> {
    const dir = await mkdtemp(join(tmpdir(), `piragua-csi-${name}-`));
    const socketPath = join(dir, 'csi', 'csi.sock');
    const base = { LOG_FORMAT: 'json', PIRAGUA_DATA_DIR: join(dir, 'data'), ...extraEnv };
    if (name === 'in-process') {
      const rest = await PiraguaProcess.start({
        ...base,
        PIRAGUA_CSI_ENDPOINT: `unix://${socketPath}`,
        PIRAGUA_CSI_MODE: 'controller',
      });
      return new ControllerShape(name, dir, rest, undefined, new CsiClient(socketPath));
    }
    const rest = await PiraguaProcess.start(base);
    const controller = await CsiProcess.start(socketPath, ControllerShape.apiEnv(rest));
    return new ControllerShape(name, dir, rest, controller, new CsiClient(socketPath));
  }

  static apiEnv(rest: PiraguaProcess): Record<string, string> {
    return { PIRAGUA_CSI_MODE: 'controller', PIRAGUA_HEKETI_KEY: ADMIN_KEY, PIRAGUA_HEKETI_URL: rest.url };
  }

  get heketi(): HeketiClient {
    return new HeketiClient(this.rest.url, ADMIN_KEY);
  }

  /** Every line both processes wrote. */
  get logs(): string {
    return this.rest.logs + (this.controller?.logs ?? '');
  }

  /** A second CSI controller (api shape: another process on the same REST API) on its own socket. */
  async secondController(): Promise<{ client: CsiClient; stop: () => Promise<void> }> {
    const socketPath = join(this.dir, 'csi2', 'csi.sock');
    const process = await CsiProcess.start(socketPath, ControllerShape.apiEnv(this.rest));
    const client = new CsiClient(socketPath);
    return {
      client,
      stop: async () => {
        client.close();
        await process.stop();
      },
    };
  }

  /** Kills the CSI controller (for in-process: the whole service) and starts it again on the same socket and data. */
  async restartController(): Promise<void> {
    this.csi.close();
    const socketPath = this.csi.socketPath;
    if (this.controller) {
      await this.controller.stop('SIGKILL');
      this.controller = await CsiProcess.start(socketPath, ControllerShape.apiEnv(this.rest));
    } else {
      throw new Error('restartController is for the api shape; the in-process shape restarts with its REST API');
    }
    this.csi = new CsiClient(socketPath);
  }

  async stop(): Promise<void> {
    this.csi.close();
    await this.controller?.stop();
    await this.rest.stop();
    await rm(this.dir, { force: true, recursive: true });
  }
}
