import { Logger } from '@nestjs/common';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { MountPlan } from '../mounter/mounter.js';

const FILE = 'published-targets.json';
const VERSION = 1;

/** What the node published at one target: enough to mount it again after a restart. */
export interface PublishedTarget {
  /** The plugin made the target directory, so unpublish removes it. */
  createdTarget: boolean;
  plan: MountPlan;
  volumeId: string;
}

function isPublishedTarget(value: unknown): value is PublishedTarget {
  const record = value as Partial<PublishedTarget> | null;
  const plan = record?.plan as Partial<MountPlan> | undefined;
  return (
    typeof record?.volumeId === 'string' &&
    typeof record.createdTarget === 'boolean' &&
    (plan?.fstype === 'glusterfs' || plan?.fstype === 'bind') &&
    typeof plan.device === 'string' &&
    Array.isArray(plan.options) &&
    plan.options.every((option) => typeof option === 'string')
  );
}

/**
 * Every target this node published, in a node-local JSON file (PIRAGUA_CSI_STATE_DIR) that
 * outlives the plugin: a restarted plugin repairs those mounts without any new CSI call. Each
 * change replaces the file atomically (write, fsync, rename), one change at a time.
 */
export class PublishedTargetsStore {
  private readonly logger = new Logger(PublishedTargetsStore.name);
  private readonly file: string;
  private targets = new Map<string, PublishedTarget>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly stateDir: string) {
    this.file = join(stateDir, FILE);
  }

  /** Reads the file; a missing one is an empty node, a corrupt one is kept aside and logged. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.targets = new Map();
        return;
      }
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as { targets?: Record<string, unknown>; version?: number };
      if (parsed.version !== VERSION || typeof parsed.targets !== 'object' || parsed.targets === null) {
        throw new Error(`not a version ${VERSION} state file`);
      }
      const entries = Object.entries(parsed.targets);
      const valid = entries.filter(
        (entry): entry is [string, PublishedTarget] => isAbsolute(entry[0]) && isPublishedTarget(entry[1]),
      );
      if (valid.length < entries.length) {
        this.logger.warn(`${this.file}: ignored ${entries.length - valid.length} unreadable target record(s)`);
      }
      this.targets = new Map(valid);
    } catch (error) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside);
      this.logger.error(`${this.file} is unreadable (${(error as Error).message}); moved to ${aside}, starting empty`);
      this.targets = new Map();
    }
  }

  get(target: string): PublishedTarget | undefined {
    return this.targets.get(target);
  }

  entries(): [string, PublishedTarget][] {
    return [...this.targets];
  }

  put(target: string, record: PublishedTarget): Promise<void> {
    this.targets.set(target, record);
    return this.save();
  }

  remove(target: string): Promise<void> {
    return this.targets.delete(target) ? this.save() : this.writes;
  }

  /** Queues one write of the whole map as it is when the write starts. */
  private save(): Promise<void> {
    const write = this.writes.catch(() => undefined).then(() => this.writeFile());
    this.writes = write;
    return write;
  }

  private async writeFile(): Promise<void> {
    await mkdir(this.stateDir, { mode: 0o700, recursive: true });
    const text = JSON.stringify({ targets: Object.fromEntries(this.targets), version: VERSION }, null, 2);
    const temporary = `${this.file}.tmp-${process.pid}`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
    // The rename itself reaches the disk only with the directory.
    const directory = await open(this.stateDir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}
