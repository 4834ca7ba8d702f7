import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mountsUnder, NodePlugin } from './node-plugin.js';

export interface LocalVolume {
  context: Record<string, string>;
  dir: string;
  id: string;
}

export const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** A temp root holding a node plugin's socket and state, local-backend volumes and kubelet-like pod targets. */
export class NodeScene {
  plugin: NodePlugin;

  private constructor(readonly root: string) {}

  static async create(options: { pidNamespace?: boolean } = {}): Promise<NodeScene> {
    const scene = new NodeScene(await mkdtemp(join(tmpdir(), 'piragua-csi-node-')));
    scene.plugin = await scene.startPlugin(options);
    return scene;
  }

  get stateDir(): string {
    return join(this.root, 'state');
  }

  startPlugin(options: { pidNamespace?: boolean } = {}): Promise<NodePlugin> {
    return NodePlugin.start({ ...options, socket: join(this.root, 'csi.sock'), stateDir: this.stateDir });
  }

  /** A volume as the controller makes it: `<data>/local/<id>/<name>`, with its volume_context. */
  async volume(name = 'pvc_1'): Promise<LocalVolume> {
    const id = randomBytes(16).toString('hex');
    const dir = join(this.root, 'data', 'local', id, name);
    await mkdir(dir, { recursive: true });
    return { context: { backend: 'local', localPath: dir, path: `${id}/${name}` }, dir, id };
  }

  /** A kubelet-like target: the pod's volume directory exists, `mount` inside it does not. */
  async target(): Promise<string> {
    const parent = join(this.root, 'pods', randomBytes(4).toString('hex'), 'volumes', 'kubernetes.io~csi', 'pv');
    await mkdir(parent, { recursive: true });
    return join(parent, 'mount');
  }

  publishRequest(
    volume: { context: Record<string, string>; id: string },
    target_path: string,
    extra: { mode?: string; mount_flags?: string[]; readonly?: boolean } = {},
  ) {
    return {
      readonly: extra.readonly ?? false,
      target_path,
      volume_capability: {
        access_mode: { mode: extra.mode ?? 'MULTI_NODE_MULTI_WRITER' },
        mount: { fs_type: '', mount_flags: extra.mount_flags ?? [] },
      },
      volume_context: volume.context,
      volume_id: volume.id,
    };
  }

  async publish(...args: Parameters<NodeScene['publishRequest']>): Promise<void> {
    await this.plugin.client.call('NodePublishVolume', this.publishRequest(...args));
  }

  async unpublish(volume: { id: string }, target_path: string): Promise<void> {
    await this.plugin.client.call('NodeUnpublishVolume', { target_path, volume_id: volume.id });
  }

  /** Stops the plugin, unmounts what a failed test left and removes the root. */
  async teardown(): Promise<void> {
    await this.plugin?.stop();
    for (const mountPoint of (await mountsUnder(this.root)).reverse()) {
      await promisify(execFile)('umount', ['-l', mountPoint]);
    }
    await rm(this.root, { force: true, recursive: true });
  }
}
