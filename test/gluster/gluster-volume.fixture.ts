import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A throwaway Gluster volume with one brick on 127.0.0.2, quota on and enforced at once. */
export interface GlusterTestVolume {
  volume: string;
  /** The brick directory as gluster reports it (`volume info`), inside a temp dir of its own. */
  brickDir: string;
  server: '127.0.0.2';
  /** Unmounts what still mounts the volume, stops and deletes it, removes the brick. Idempotent. */
  teardown(): Promise<void>;
}

interface Run {
  code: number;
  stderr: string;
  stdout: string;
}

const SERVER = '127.0.0.2';
/** glusterd's cluster lock, held by another command for this volume (or any, for create). */
const LOCK_ERROR = /another transaction (is|could be) in progress|locking failed/i;

function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: options.env ?? process.env, maxBuffer: 16 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stderr: `${stderr}${error && code === -1 ? error.message : ''}`, stdout });
      },
    );
  });
}

/** `gluster --mode=script …`, retried while glusterd's lock is busy (other tests, other volumes). */
async function gluster(args: string[], options: { okIf?: RegExp } = {}): Promise<Run> {
  const deadline = Date.now() + 60_000;
  for (let delay = 200; ; delay = Math.min(delay * 2, 3000)) {
    const result = await run('gluster', ['--mode=script', ...args]);
    const output = `${result.stdout}\n${result.stderr}`;
    if (result.code === 0 || options.okIf?.test(output)) {
      return result;
    }
    if (!LOCK_ERROR.test(output) || Date.now() + delay > deadline) {
      throw new Error(`gluster ${args.join(' ')} failed (exit ${result.code}): ${output.trim()}`);
    }
    await sleep(delay / 2 + (Math.random() * delay) / 2);
  }
}

/** Installs GlusterFS when it is missing and starts glusterd when it does not answer. */
export async function ensureGlusterd(): Promise<void> {
  if ((await run('sh', ['-c', 'command -v gluster && command -v glusterd && command -v mount.glusterfs'])).code !== 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update'], ['install', '-y', 'glusterfs-server', 'glusterfs-client']]) {
      const result = await run('apt-get', args, { env, timeoutMs: 600_000 });
      if (result.code !== 0) {
        throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
      }
    }
  }
  if ((await run('gluster', ['--mode=script', 'peer', 'status'])).code === 0) {
    return;
  }
  // glusterd daemonizes; ignore its stdio so that nothing here waits for the daemon itself.
  const daemon = spawn('glusterd', ['-p', '/run/glusterd.pid'], { detached: true, stdio: 'ignore' });
  const [code] = (await once(daemon, 'exit')) as [number | null];
  if (code !== 0) {
    throw new Error(`glusterd -p /run/glusterd.pid exited with ${code}`);
  }
  const deadline = Date.now() + 30_000;
  while ((await run('gluster', ['--mode=script', 'peer', 'status'])).code !== 0) {
    if (Date.now() > deadline) {
      throw new Error('glusterd did not answer `gluster peer status` within 30 s');
    }
    await sleep(250);
  }
}

/**
 * Creates and starts `<prefix>_<unique>` with the brick `127.0.0.2:<tmp>/brick` (`force`: the
 * brick is on the root file system), enables quota and sets hard- and soft-timeout to 0 so limits
 * are enforced on the next write. Call ensureGlusterd() first (the gluster globalSetup does).
 */
export async function createGlusterTestVolume(prefix = 'piragua_test'): Promise<GlusterTestVolume> {
  const volume = `${prefix}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const tempDir = await mkdtemp(join(tmpdir(), `${volume}-`));
  const brickDir = join(tempDir, 'brick');
  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) {
      return;
    }
    tornDown = true;
    await unmountVolume(volume);
    await gluster(['volume', 'stop', volume, 'force'], {
      okIf: /does not exist|is not in the started state|not started/i,
    });
    await gluster(['volume', 'delete', volume], { okIf: /does not exist/i });
    await rm(tempDir, { force: true, recursive: true });
  };
  try {
    await gluster(['volume', 'create', volume, `${SERVER}:${brickDir}`, 'force']);
    await gluster(['volume', 'start', volume]);
    await gluster(['volume', 'quota', volume, 'enable']);
    await gluster(['volume', 'quota', volume, 'hard-timeout', '0']);
    await gluster(['volume', 'quota', volume, 'soft-timeout', '0']);
  } catch (error) {
    await teardown().catch(() => undefined);
    throw error;
  }
  return { brickDir, server: SERVER, teardown, volume };
}

/**
 * Every FUSE mount of the volume or of a directory in it (`127.0.0.2:/vol`, `127.0.0.2:vol/a/b`),
 * and gluster's own helper mount (`localhost:vol`), which a failed `quota remove` leaves behind.
 */
async function unmountVolume(volume: string): Promise<void> {
  const source = new RegExp(`^(${SERVER.replaceAll('.', '\\.')}|localhost):/?${volume}(/|$)`);
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([device, , type]) => type === 'fuse.glusterfs' && device !== undefined && source.test(device))
    .map(([, target]) => target.replace(/\\040/g, ' '))
    .reverse();
  for (const target of mounts) {
    if ((await run('umount', [target])).code !== 0) {
      await run('umount', ['-l', target]);
    }
  }
}
