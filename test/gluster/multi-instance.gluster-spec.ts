import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { createGlusterTestVolume, GlusterTestVolume } from './gluster-volume.fixture.js';
import { listedLimit, quotaLimits, unmount } from './gluster-shell.js';

const GIB = 1024 ** 3;

const warnings = (logs: string) =>
  logs
    .split('\n')
    .filter((line) => !line.startsWith('{') || /"level":(4|5)\d/.test(line))
    .join('\n');

describe('Several piragua instances on one Gluster volume', () => {
  let gluster: GlusterTestVolume;
  const instances = new Map<string, PiraguaProcess>();
  const mountDirs = new Map<string, string>();

  const start = async (name: string, extra: Record<string, string> = {}) => {
    await instances.get(name)?.stop();
    if (!mountDirs.has(name)) {
      mountDirs.set(name, mkdtempSync(join(tmpdir(), `piragua-${name}-`)));
    }
    const instance = await PiraguaProcess.start({
      PIRAGUA_BACKEND: 'gluster',
      PIRAGUA_GLUSTER_SERVER: gluster.server,
      PIRAGUA_GLUSTER_VOLUMES: gluster.volume,
      PIRAGUA_INSTANCE_ID: name,
      PIRAGUA_INSTANCE_TIMEOUT_SECONDS: '10',
      PIRAGUA_MOUNT_DIR: mountDirs.get(name)!,
      PIRAGUA_RECONCILE_SECONDS: '5',
      ...extra,
    });
    instances.set(name, instance);
    return instance;
  };
  const urls = (...names: string[]) => names.map((name) => instances.get(name)!.url);
  const volumeRoot = () => join(mountDirs.get('a')!, gluster.volume);

  /**
   * Listed volumes, their directories and gluster's quotas are the same set. Another instance's
   * changes reach an instance's list within about a second (the change feed), and deleted volumes'
   * quotas leave with the background purge of the trash, hence the waits.
   */
  const assertConsistent = async (client: HeketiClient) => {
    for (
      const deadline = Date.now() + 60_000;
      readdirSync(join(volumeRoot(), '.piragua', 'trash')).length > 0 && Date.now() < deadline;
    ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const directories = readdirSync(volumeRoot())
      .filter((name) => /^[0-9a-f]{32}$/.test(name))
      .sort();
    const quotas = [...(await quotaLimits(gluster.volume)).keys()].map((path) => path.slice(1)).sort();
    expect(quotas).toEqual(directories);
    let listed: string[] = [];
    for (
      const deadline = Date.now() + 5000;
      Date.now() < deadline;
      await new Promise((resolve) => setTimeout(resolve, 200))
    ) {
      listed = [...(await client.request('GET', '/volumes')).json().volumes].sort();
      if (JSON.stringify(listed) === JSON.stringify(directories)) {
        break;
      }
    }
    expect(listed).toEqual(directories);
  };

  beforeAll(async () => {
    gluster = await createGlusterTestVolume('piragua_multi');
    await Promise.all(['a', 'b', 'c'].map((name) => start(name)));
  });

  // A race seen once in CI leaves nothing to read but what the instances logged.
  let failed = false;
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      failed = true;
    });
  });

  afterAll(async () => {
    for (const [name, instance] of instances) {
      await instance.stop();
      if (process.env.PIRAGUA_TEST_DUMP_LOGS) {
        console.log(`--- instance ${name}\n${instance.logs}`);
      } else if (failed) {
        console.log(`--- instance ${name}, warnings and errors\n${warnings(instance.logs)}`);
      }
    }
    for (const [name, dir] of mountDirs) {
      await unmount(join(dir, gluster.volume));
      mountDirs.delete(name);
    }
    await gluster?.teardown();
  });

  it('should let any instance answer any request of a volume lifecycle', async () => {
    // Every request, every poll and every followed redirect goes to the next instance.
    const client = new HeketiClient(urls('a', 'b', 'c'), ADMIN_KEY);
    const created = await client.async('POST', '/volumes', { size: 1, name: 'shared_by_all' });
    expect(created.final.status, created.final.body).toBe(200);
    const id: string = created.final.json().id;
    for (const url of urls('a', 'b', 'c')) {
      const info = await new HeketiClient(url, ADMIN_KEY).request('GET', `/volumes/${id}`);
      expect(info.status, url).toBe(200);
      expect(info.json().size).toBe(1);
    }

    const expanded = await client.async('POST', `/volumes/${id}/expand`, { expand_size: 2 });
    expect(expanded.final.status, expanded.final.body).toBe(200);
    expect(expanded.final.json().size).toBe(3);
    expect(await listedLimit(gluster.volume, `/${id}`, 3 * GIB)).toBe(3 * GIB);
    // Kubernetes' expand: read the size, expand by a delta, read it again, each on another instance.
    for (const url of urls('a', 'b', 'c')) {
      const info = await new HeketiClient(url, ADMIN_KEY).request('GET', `/volumes/${id}`, undefined, {
        Referer: `${url}/queue/x`,
      });
      expect(info.json().size, url).toBe(3);
    }

    const again = await client.async('POST', `/volumes/${id}/expand`, { expand_size: 1 });
    expect(again.final.json().size).toBe(4);

    const deleted = await client.async('DELETE', `/volumes/${id}`);
    expect(deleted.final.status).toBe(204);
    // Other instances learn of the delete through the change feed, within a few seconds.
    for (const url of urls('a', 'b', 'c')) {
      let status = 0;
      for (
        const deadline = Date.now() + 5000;
        Date.now() < deadline;
        await new Promise((resolve) => setTimeout(resolve, 200))
      ) {
        status = (await new HeketiClient(url, ADMIN_KEY).request('GET', `/volumes/${id}`)).status;
        if (status === 404) {
          break;
        }
      }
      expect(status, url).toBe(404);
    }
    await assertConsistent(client);
  });

  it('should let exactly one of two instances creating the same name at the same moment succeed', async () => {
    for (let round = 0; round < Number(process.env.RACE_ROUNDS ?? 5); round += 1) {
      const [first, second] = await Promise.all(
        urls('a', 'b').map((url) =>
          new HeketiClient(url, ADMIN_KEY).async('POST', '/volumes', { size: 1, name: `race_${round}` }),
        ),
      );
      const outcomes = [first, second].map((result) => result.final.status).sort();
      expect(outcomes, `round ${round}: ${first.final.body} / ${second.final.body}`).toEqual([200, 500]);
      const loser = [first, second].find((result) => result.final.status === 500)!;
      expect(loser.final.body).toBe(`Failed to allocate new volume: Volume name 'race_${round}' already in use\n`);
    }
    await assertConsistent(new HeketiClient(urls('c'), ADMIN_KEY));
  });

  it('should refuse a second change of a volume that another instance is changing', async () => {
    const id = (await new HeketiClient(urls('a'), ADMIN_KEY).async('POST', '/volumes', { size: 1 })).final.json().id;
    const [onA, onB] = await Promise.all(
      urls('a', 'b').map((url) =>
        new HeketiClient(url, ADMIN_KEY).request('POST', `/volumes/${id}/expand`, { expand_size: 1 }),
      ),
    );
    const statuses = [onA.status, onB.status].sort();
    if (statuses[0] === 202 && statuses[1] === 202) {
      // The first finished before the second began: both applied, one after the other, each done once its queue says so.
      for (const response of [onA, onB]) {
        const { final } = await new HeketiClient(response.baseUrl, ADMIN_KEY).follow(response.headers.get('location')!);
        expect(final.status, final.body).toBe(200);
      }
      expect(
        (
          await new HeketiClient(urls('c'), ADMIN_KEY).request('GET', `/volumes/${id}`, undefined, {
            Referer: '/queue/',
          })
        ).json().size,
      ).toBe(3);
    } else {
      expect(statuses).toEqual([202, 500]);
      expect([onA, onB].find((response) => response.status === 500)!.body).toBe(
        'Failed to allocate volume expansion: The target exists, contains other items, or is in use.\n',
      );
    }
  });

  it('should finish the work of an instance that died, from another instance', async () => {
    await start('a', { PIRAGUA_TEST_CRASH_AT: 'create:quota' });
    const accepted = await new HeketiClient(urls('a'), ADMIN_KEY).request('POST', '/volumes', {
      size: 1,
      name: 'orphaned_by_a_crash',
    });
    expect(accepted.status).toBe(202);
    const onB = new HeketiClient(urls('b'), ADMIN_KEY);
    let poll = await onB.request('GET', accepted.headers.get('location')!);
    const deadline = Date.now() + 60_000;
    while (poll.headers.get('x-pending') === 'true' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      poll = await onB.request('GET', accepted.headers.get('location')!);
    }
    expect(instances.get('a')!.child.signalCode).toBe('SIGKILL');
    expect(poll.status).toBe(500);
    expect(poll.body).toMatch(/^Failed to create volume: the piragua instance running it stopped/);
    await start('a');
    await assertConsistent(onB);
  });
});
