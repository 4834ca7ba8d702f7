import { Logger } from '@nestjs/common';
import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppConfig } from '../config/app-config.js';
import { loadEnv } from '../config/env.js';
import { GLUSTER_COMMAND_RAN, GlusterCommandRan } from './gluster-cli.events.js';
import { GlusterCli } from './gluster-cli.js';
import { GlusterCommandError } from './gluster-command.error.js';
import { LockRetryPolicy } from './lock-retry.policy.js';

const FAKE_GLUSTER = fileURLToPath(new URL('../../test/fixtures/bin/gluster', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/gluster/', import.meta.url));
const MOUNT_DIR = '/var/lib/piragua-test/mounts';
const VOL = 'pfx_1796015800';
const LOCK_TEXT = 'Another transaction is in progress for pfx_1796015800. Please try again after some time.';
/** A budget of several calls even on a loaded machine, where each fake call takes longer. */
const SHORT_RETRIES = new LockRetryPolicy({ initialDelayMs: 10, maxDelayMs: 40, totalBudgetMs: 1000 });

/** What the fake answers to one call: a recorded fixture and/or explicit output. */
interface FakeCall {
  exit?: number;
  fixture?: string;
  sleep?: number;
  stderr?: string;
  stdout?: string;
}

describe(GlusterCli.name, () => {
  let dir: string;
  let sut: GlusterCli;
  let binDir: string;
  let emitter: EventEmitter2;
  let listeners: EventEmitterReadinessWatcher;
  /** What GlusterCli emitted, in order. */
  let ran: GlusterCommandRan[];
  const originalPath = process.env.PATH;

  const newCli = (env: Record<string, string> = {}, retryPolicy = SHORT_RETRIES) =>
    new GlusterCli(
      new AppConfig(
        loadEnv({
          GLUSTER_CLI: FAKE_GLUSTER,
          PIRAGUA_GLUSTER_TIMEOUT_SECONDS: '1',
          PIRAGUA_MOUNT_DIR: MOUNT_DIR,
          ...env,
        }),
      ),
      retryPolicy,
      emitter,
      listeners,
    );

  /** Prepares the fake's answers for calls 1, 2, …; `fallback` answers every call beyond those. */
  const script = async (calls: FakeCall[], fallback?: FakeCall) => {
    const write = async (key: string, call: FakeCall) => {
      if (call.fixture) {
        for (const [ext, target] of [
          ['xml', 'stdout'],
          ['stderr', 'stderr'],
          ['exit', 'exit'],
        ]) {
          const source = join(FIXTURES, `${call.fixture}.${ext}`);
          if (existsSync(source)) {
            await copyFile(source, join(dir, `${key}.${target}`));
          }
        }
      }
      for (const field of ['stdout', 'stderr', 'exit', 'sleep'] as const) {
        if (call[field] !== undefined) {
          await writeFile(join(dir, `${key}.${field}`), String(call[field]));
        }
      }
    };
    for (const [index, call] of calls.entries()) {
      await write(String(index + 1), call);
    }
    if (fallback) {
      await write('default', fallback);
    }
  };
  const argvLog = async () =>
    (await readFile(join(dir, 'argv.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));
  const allEvents = async () => (await readFile(join(dir, 'events'), 'utf8')).split('\n').filter(Boolean);
  /** Starts and ends of calls; gluster shells started are counted by `shells`. */
  const events = async () => (await allEvents()).filter((event) => !event.startsWith('shell '));
  const shells = async () => (await allEvents()).filter((event) => event.startsWith('shell ')).length;
  const rejection = async (promise: Promise<unknown>): Promise<GlusterCommandError> => {
    const error = await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(GlusterCommandError);
    return error as GlusterCommandError;
  };

  beforeAll(async () => {
    // mount and umount are found on PATH: let the fake stand in for them too.
    binDir = await mkdtemp(join(tmpdir(), 'piragua-fake-bin-'));
    await symlink(FAKE_GLUSTER, join(binDir, 'mount'));
    await symlink(FAKE_GLUSTER, join(binDir, 'umount'));
    process.env.PATH = `${binDir}:${originalPath}`;
  });

  afterAll(async () => {
    process.env.PATH = originalPath;
    await rm(binDir, { force: true, recursive: true });
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'piragua-fake-gluster-'));
    process.env.FAKE_GLUSTER_DIR = dir;
    process.env.FAKE_GLUSTER_LOG = join(dir, 'argv.log');
    emitter = new EventEmitter2();
    listeners = new EventEmitterReadinessWatcher();
    listeners.setReady();
    ran = [];
    emitter.on(GLUSTER_COMMAND_RAN, (event: GlusterCommandRan) => ran.push(event));
    sut = newCli();
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    sut.onModuleDestroy();
    await rm(dir, { force: true, recursive: true });
  });

  describe('volumeInfo', () => {
    it('should run volume info in script mode with --xml and parse the volume', async () => {
      await script([{ fixture: 'volume-info' }]);
      const info = await sut.volumeInfo(VOL);
      expect(await argvLog()).toEqual([['--mode=script', 'volume', 'info', VOL, '--xml']]);
      expect(info).toMatchObject({
        id: '552c3d0c-fc8b-45ef-b4df-788af75be1fd',
        name: VOL,
        status: 'Started',
        type: 'Distribute',
      });
      expect(info.options['features.quota']).toBe('on');
    });

    it('should throw a typed error for a missing volume although gluster exits 0', async () => {
      await script([{ fixture: 'volume-info-missing' }]);
      const error = await rejection(sut.volumeInfo('no_such_volume_xyz'));
      expect(error.args).toEqual(['--mode=script', 'volume', 'info', 'no_such_volume_xyz', '--xml']);
      expect(error.exitCode).toBe(0);
      expect(error.stderr).toBe('');
      expect(error.timedOut).toBe(false);
      expect(error.opErrno).toBe(30806);
      expect(error.publicMessage).toBe('Volume does not exist');
      expect(error.isLockContention).toBe(false);
      expect(error.message).toContain('gluster --mode=script volume info no_such_volume_xyz --xml failed');
      expect(ran).toEqual([expect.objectContaining({ lockRetries: 0, outcome: 'failed', subcommand: 'volume info' })]);
    });

    it('should refuse a volume name that could read as an option, without running gluster', async () => {
      await expect(sut.volumeInfo('--help')).rejects.toThrow(TypeError);
      expect(await argvLog()).toEqual([]);
    });
  });

  describe('volumeStatusDetail', () => {
    it('should run volume status detail and parse the bricks', async () => {
      await script([{ fixture: 'volume-status-detail-two-bricks' }]);
      const bricks = await sut.volumeStatusDetail('pfx2_1796015891');
      expect(await argvLog()).toEqual([['--mode=script', 'volume', 'status', 'pfx2_1796015891', 'detail', '--xml']]);
      expect(bricks).toHaveLength(2);
      expect(bricks[0]).toMatchObject({ hostname: '127.0.0.2', online: true, sizeTotalBytes: 270553174016 });
    });

    it('should throw for a stopped volume', async () => {
      await script([{ fixture: 'volume-status-detail-stopped' }]);
      const error = await rejection(sut.volumeStatusDetail('pfx2_1796015891'));
      expect(error.publicMessage).toBe('Volume pfx2_1796015891 is not started');
    });
  });

  describe('poolList', () => {
    it('should run pool list and parse the peers', async () => {
      await script([{ fixture: 'pool-list' }]);
      expect(await sut.poolList()).toEqual([
        { connected: true, hostname: 'localhost', uuid: '2b13153e-f3d1-49ef-9cff-744a14b58a2f' },
      ]);
      expect(await argvLog()).toEqual([['--mode=script', 'pool', 'list', '--xml']]);
    });
  });

  describe('quotaList', () => {
    it('should list every limit of the volume', async () => {
      await script([{ fixture: 'quota-list-several' }]);
      const limits = await sut.quotaList(VOL);
      expect(await argvLog()).toEqual([['--mode=script', 'volume', 'quota', VOL, 'list', '--xml']]);
      expect(limits.map((limit) => [limit.path, limit.hardLimitBytes, limit.usedBytes])).toEqual([
        ['/a', 10485760, 3145728],
        ['/b', 1073741824, 0],
        ['/c', 5368709120, 0],
      ]);
    });

    it('should list the limit of one path', async () => {
      await script([{ fixture: 'quota-list-path' }]);
      expect(await sut.quotaList(VOL, '/a')).toMatchObject([{ hardLimitBytes: 10485760, path: '/a' }]);
      expect(await argvLog()).toEqual([['--mode=script', 'volume', 'quota', VOL, 'list', '/a', '--xml']]);
    });

    it('should return [] for a path without a limit, a missing path and a volume without limits', async () => {
      await script([
        { fixture: 'quota-list-path-no-limit' },
        { fixture: 'quota-list-path-missing' },
        { fixture: 'quota-list-empty' },
      ]);
      expect(await sut.quotaList(VOL, '/nolimit')).toEqual([]);
      expect(await sut.quotaList(VOL, '/does-not-exist')).toEqual([]);
      expect(await sut.quotaList(VOL)).toEqual([]);
    });

    it('should throw when quota is disabled (exit code 2)', async () => {
      await script([{ fixture: 'quota-list-disabled' }]);
      const error = await rejection(sut.quotaList(VOL));
      expect(error.exitCode).toBe(2);
      expect(error.publicMessage).toBe('Quota is disabled, please enable quota');
    });

    it('should retry a read that ran into the lock, without queueing it', async () => {
      await script([{ fixture: 'quota-list-lock-contention' }, { fixture: 'quota-list-one' }]);
      expect(await sut.quotaList(VOL)).toHaveLength(1);
      expect(ran).toEqual([
        expect.objectContaining({ lockRetries: 1, outcome: 'ok', subcommand: 'volume quota list' }),
      ]);
    });
  });

  describe('setQuotaLimit', () => {
    it('should pass the size as a plain byte count', async () => {
      await script([{ fixture: 'quota-limit-a' }]);
      await sut.setQuotaLimit(VOL, '/a', 10485760);
      expect(await argvLog()).toEqual([
        ['--mode=script', 'volume', 'quota', VOL, 'limit-usage', '/a', '10485760', '--xml'],
      ]);
      expect(ran).toEqual([new GlusterCommandRan('volume quota limit-usage', 'ok', expect.any(Number), 0)]);
    });

    it('should throw the opRet -2 error for a missing directory', async () => {
      await script([{ fixture: 'quota-limit-missing-dir' }]);
      const error = await rejection(sut.setQuotaLimit(VOL, '/does-not-exist', 1048576));
      expect(error.exitCode).toBe(0);
      expect(error.opRet).toBe(-2);
      expect(error.publicMessage).toBe(
        'Failed to get trusted.gfid attribute on path /does-not-exist. Reason : No such file or directory',
      );
    });

    it('should take the first line of stderr when gluster prints no XML', async () => {
      // The shell ends on a usage error, as gluster's does; the command then runs on its own to say why.
      await script([{ fixture: 'quota-limit-invalid-size' }, { fixture: 'quota-limit-invalid-size' }]);
      const error = await rejection(sut.setQuotaLimit(VOL, '/b', 1));
      expect(error.exitCode).toBe(1);
      expect(error.stderr).toContain('Usage:');
      expect(error.publicMessage).toBe('Please enter an integer value in the range of (1 - 9223372036854775807)');
      const argv = ['--mode=script', 'volume', 'quota', VOL, 'limit-usage', '/b', '1', '--xml'];
      expect(await argvLog()).toEqual([argv, argv]);
    });

    it("should run a volume's changes through one gluster shell", async () => {
      await script([{ fixture: 'quota-limit-a' }, { fixture: 'quota-remove' }, { fixture: 'quota-limit-c' }]);
      await sut.setQuotaLimit(VOL, '/a', 1024);
      await sut.removeQuotaLimit(VOL, '/b');
      await sut.setQuotaLimit(VOL, '/c', 2048);
      expect(await shells()).toBe(1);
      expect((await argvLog()).map((argv) => argv.slice(4, 6))).toEqual([
        ['limit-usage', '/a'],
        ['remove', '/b'],
        ['limit-usage', '/c'],
      ]);
    });

    it('should start a new shell for the change after one that ended the shell', async () => {
      await script([
        { fixture: 'quota-limit-invalid-size' },
        { fixture: 'quota-limit-invalid-size' },
        { fixture: 'quota-limit-a' },
      ]);
      await rejection(sut.setQuotaLimit(VOL, '/b', 1));
      await sut.setQuotaLimit(VOL, '/a', 1024);
      expect(await shells()).toBe(2);
      expect(await argvLog()).toHaveLength(3);
    });

    it('should run a path with a blank, which the shell would split, as a process of its own', async () => {
      await script([{ fixture: 'quota-limit-a' }]);
      await sut.setQuotaLimit(VOL, '/a b', 1024);
      expect(await shells()).toBe(0);
      expect(await argvLog()).toEqual([
        ['--mode=script', 'volume', 'quota', VOL, 'limit-usage', '/a b', '1024', '--xml'],
      ]);
    });

    it('should refuse sizes and paths gluster would misread, without running gluster', async () => {
      await expect(sut.setQuotaLimit(VOL, '/a', 0)).rejects.toThrow(RangeError);
      await expect(sut.setQuotaLimit(VOL, '/a', 1.5)).rejects.toThrow(RangeError);
      await expect(sut.setQuotaLimit(VOL, 'a', 1024)).rejects.toThrow(TypeError);
      await expect(sut.setQuotaLimit(VOL, '/a/../..', 1024)).rejects.toThrow(TypeError);
      expect(await argvLog()).toEqual([]);
    });

    it('should retry lock contention with backoff until it succeeds', async () => {
      await script([
        { fixture: 'quota-limit-lock-contention' },
        { fixture: 'quota-limit-lock-contention' },
        { fixture: 'quota-limit-a' },
      ]);
      sut = newCli({}, new LockRetryPolicy());
      const started = Date.now();
      await sut.setQuotaLimit(VOL, '/a', 10485760);
      const argv = ['--mode=script', 'volume', 'quota', VOL, 'limit-usage', '/a', '10485760', '--xml'];
      expect(await argvLog()).toEqual([argv, argv, argv]);
      // The production policy: 100-200 ms, then 200-400 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(ran).toEqual([expect.objectContaining({ lockRetries: 2, outcome: 'ok' })]);
      expect(ran[0].seconds).toBeGreaterThanOrEqual(0.3);
    });

    it("should retry a change that found glusterd's helper mount going away", async () => {
      await script([{ fixture: 'quota-limit-helper-mount-gone' }, { fixture: 'quota-limit-a' }]);
      await sut.setQuotaLimit(VOL, '/a', 10485760);
      expect(await argvLog()).toHaveLength(2);
      expect(ran).toEqual([expect.objectContaining({ lockRetries: 1, outcome: 'ok' })]);
    });

    it('should give up with the lock error once the retry budget is spent', async () => {
      await script([], { fixture: 'quota-limit-lock-contention' });
      const error = await rejection(sut.setQuotaLimit(VOL, '/a', 1024));
      expect(error.isLockContention).toBe(true);
      expect(error.publicMessage).toBe(LOCK_TEXT);
      expect(ran).toEqual([
        expect.objectContaining({ outcome: 'lock_contention', subcommand: 'volume quota limit-usage' }),
      ]);
      expect(ran[0].lockRetries).toBeGreaterThan(2);
      expect((await argvLog()).length).toBe(ran[0].lockRetries + 1);
    });

    it('should run two changes of one volume one after the other, in call order', async () => {
      await script([], { fixture: 'quota-limit-a', sleep: 0.3 });
      await Promise.all([sut.setQuotaLimit(VOL, '/a', 1024), sut.setQuotaLimit(VOL, '/b', 2048)]);
      expect(await events()).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
      expect((await argvLog()).map((argv) => argv[5])).toEqual(['/a', '/b']);
    });

    it('should go on with the queue after a failed change', async () => {
      await script([{ fixture: 'quota-limit-missing-dir', sleep: 0.2 }, { fixture: 'quota-limit-a' }]);
      const results = await Promise.allSettled([
        sut.setQuotaLimit(VOL, '/gone', 1024),
        sut.setQuotaLimit(VOL, '/a', 1024),
      ]);
      expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled']);
    });

    it('should let changes of different volumes and reads run at the same time', async () => {
      await script([], { fixture: 'quota-limit-a', sleep: 0.5 });
      await Promise.all([
        sut.setQuotaLimit('vol1', '/a', 1024),
        sut.setQuotaLimit('vol2', '/a', 1024),
        sut.volumeStatusDetail('vol1').catch(() => []),
      ]);
      expect((await events()).slice(0, 3).every((event) => event.startsWith('start'))).toBe(true);
    });
  });

  describe('removeQuotaLimit', () => {
    it('should run quota remove', async () => {
      await script([{ fixture: 'quota-remove' }]);
      await sut.removeQuotaLimit(VOL, '/c');
      expect(await argvLog()).toEqual([['--mode=script', 'volume', 'quota', VOL, 'remove', '/c', '--xml']]);
    });

    it('should succeed for a directory without a limit', async () => {
      await script([{ fixture: 'quota-remove-no-limit' }]);
      await expect(sut.removeQuotaLimit(VOL, '/nolimit')).resolves.toBeUndefined();
    });

    it('should throw for a missing directory', async () => {
      await script([{ fixture: 'quota-remove-missing-dir' }]);
      await expect(sut.removeQuotaLimit(VOL, '/does-not-exist')).rejects.toBeInstanceOf(GlusterCommandError);
    });
  });

  describe('enableQuota', () => {
    it('should run quota enable and accept "already enabled"', async () => {
      await script([{ fixture: 'quota-enable' }, { fixture: 'quota-enable-again' }]);
      await sut.enableQuota(VOL);
      await sut.enableQuota(VOL);
      const argv = ['--mode=script', 'volume', 'quota', VOL, 'enable', '--xml'];
      expect(await argvLog()).toEqual([argv, argv]);
    });
  });

  describe('timeouts and missing binaries', () => {
    it('should kill a command that outlives the timeout and say so', async () => {
      await script([{ fixture: 'pool-list', sleep: 10 }]);
      const started = Date.now();
      const error = await rejection(sut.poolList());
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error.timedOut).toBe(true);
      expect(error.exitCode).toBeUndefined();
      expect(error.args).toEqual(['--mode=script', 'pool', 'list', '--xml']);
      expect(error.publicMessage).toBe('gluster did not answer in time');
      expect(ran).toEqual([expect.objectContaining({ outcome: 'timeout', subcommand: 'pool list' })]);
    });

    it('should run a change the shell leaves unanswered as a process of its own, and start a new shell after', async () => {
      await script([
        { fixture: 'quota-limit-a', sleep: 10 },
        { fixture: 'quota-limit-a' },
        { fixture: 'quota-limit-c' },
      ]);
      const started = Date.now();
      await sut.setQuotaLimit(VOL, '/a', 1024);
      expect(Date.now() - started).toBeLessThan(5000);
      await sut.setQuotaLimit(VOL, '/c', 1024);
      expect(await shells()).toBe(2);
      expect((await argvLog()).map((argv) => argv[5])).toEqual(['/a', '/a', '/c']);
    });

    it('should throw a typed error without the binary path when the CLI cannot be run', async () => {
      sut = newCli({ GLUSTER_CLI: '/nonexistent/piragua/bin/gluster' });
      const error = await rejection(sut.poolList());
      expect(error.exitCode).toBeUndefined();
      expect(error.timedOut).toBe(false);
      expect(error.publicMessage).toBe('could not run gluster (ENOENT)');
    });
  });

  describe('mount and unmount', () => {
    it('should create the mount point and mount the volume with mount -t glusterfs, without kernel caching', async () => {
      const mountPoint = join(dir, 'mnt', VOL);
      await script([{}]);
      await sut.mount('127.0.0.2', VOL, mountPoint);
      expect((await stat(mountPoint)).isDirectory()).toBe(true);
      expect(await argvLog()).toEqual([
        [
          '-t',
          'glusterfs',
          '-o',
          `entry-timeout=0,attribute-timeout=0,xlator-option=${VOL}-md-cache.md-cache-timeout=0`,
          `127.0.0.2:/${VOL}`,
          mountPoint,
        ],
      ]);
    });

    it('should keep the mount point out of the public message of a failed mount', async () => {
      const mountPoint = join(dir, 'mnt');
      await script([
        {
          exit: 32,
          stderr: `mount: ${mountPoint}: mount(2) system call failed: Transport endpoint is not connected.\n`,
        },
      ]);
      const error = await rejection(sut.mount('10.9.9.9', VOL, mountPoint));
      expect(error.command).toBe('mount');
      expect(error.exitCode).toBe(32);
      expect(error.publicMessage).toBe(
        'mount: <mount point>: mount(2) system call failed: Transport endpoint is not connected.',
      );
      // mount is not a gluster call.
      expect(ran).toEqual([]);
    });

    it('should unmount with one plain umount when that works', async () => {
      await script([{}]);
      await sut.unmount('/mnt/x');
      expect(await argvLog()).toEqual([['/mnt/x']]);
    });

    it('should fall back to a lazy umount', async () => {
      await script([{ exit: 32, stderr: 'umount: /mnt/x: target is busy.' }, {}]);
      await sut.unmount('/mnt/x');
      expect(await argvLog()).toEqual([['/mnt/x'], ['-l', '/mnt/x']]);
    });

    it('should throw when the lazy umount fails too', async () => {
      await script([], { exit: 32, stderr: 'umount: /mnt/x: not mounted.' });
      const error = await rejection(sut.unmount('/mnt/x'));
      expect(error.args).toEqual(['-l', '/mnt/x']);
    });
  });

  describe('events', () => {
    it('should emit one GlusterCommandRan per gluster call, with its duration', async () => {
      await script([{ fixture: 'pool-list', sleep: 0.2 }, { fixture: 'quota-list-disabled' }]);
      await sut.poolList();
      await rejection(sut.quotaList(VOL));
      expect(ran).toEqual([
        new GlusterCommandRan('pool list', 'ok', expect.any(Number), 0),
        new GlusterCommandRan('volume quota list', 'failed', expect.any(Number), 0),
      ]);
      expect(ran[0].seconds).toBeGreaterThanOrEqual(0.2);
    });

    it('should hold its events back until the listeners are attached', async () => {
      listeners = new EventEmitterReadinessWatcher();
      sut = newCli();
      await script([{ fixture: 'pool-list' }]);
      await sut.poolList();
      expect(ran).toEqual([]);
      listeners.setReady();
      await listeners.waitUntilReady();
      expect(ran).toEqual([expect.objectContaining({ outcome: 'ok', subcommand: 'pool list' })]);
    });
  });

  it('should log each command at debug level with argv, exit code and duration', async () => {
    const debug = vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    await script([{ fixture: 'pool-list' }]);
    await sut.poolList();
    expect(debug).toHaveBeenCalledWith(
      expect.stringMatching(
        new RegExp(`^pool list: ${FAKE_GLUSTER} --mode=script pool list --xml → exit 0 in \\d+ ms$`),
      ),
    );
  });
});
