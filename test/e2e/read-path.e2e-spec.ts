import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { parsePrometheusText } from '../prometheus-text.js';

/**
 * The paths clients poll are answered from memory: the backends count every storage call and
 * whether an HTTP request was waiting on it (`piragua_backend_calls_total{origin}`).
 */
describe('Read paths never wait on storage', () => {
  let server: PiraguaProcess;
  let client: HeketiClient;
  let volumeId: string;
  let clusterId: string;

  const requestCalls = async (): Promise<Map<string, number>> => {
    const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    const calls = new Map<string, number>();
    for (const sample of metrics.samples.filter(
      (candidate) => candidate.name === 'piragua_backend_calls_total' && candidate.labels.origin === 'request',
    )) {
      calls.set(sample.labels.method, sample.value);
    }
    return calls;
  };

  beforeAll(async () => {
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: mkdtempSync(join(tmpdir(), 'piragua-read-')) });
    client = new HeketiClient(server.url, ADMIN_KEY);
    const created = await client.async('POST', '/volumes', { size: 1 });
    expect(created.final.status).toBe(200);
    volumeId = created.final.json().id;
    clusterId = (await client.request('GET', '/clusters')).json().clusters[0];
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('should answer volume info and lists, cluster info and hello without a single storage call', async () => {
    const before = await requestCalls();

    for (let round = 0; round < 20; round += 1) {
      for (const path of [`/volumes/${volumeId}`, '/volumes', `/clusters/${clusterId}`, '/clusters', '/hello']) {
        expect((await client.request('GET', path)).status).toBe(200);
      }
    }

    expect(await requestCalls()).toEqual(before);
  });

  it('should send the list rendered once, and a new one as soon as a volume is added or deleted', async () => {
    const before = (await client.request('GET', '/volumes')).body;
    expect((await client.request('GET', '/volumes')).body).toBe(before);

    const added = (await client.async('POST', '/volumes', { size: 1 })).final.json().id as string;
    const withAdded = await client.request('GET', '/volumes');
    expect(withAdded.json().volumes).toEqual([volumeId, added].sort());
    expect(withAdded.body.endsWith('}\n')).toBe(true);
    expect(withAdded.headers.get('content-type')).toBe('application/json; charset=utf-8');

    expect((await client.async('DELETE', `/volumes/${added}`)).final.status).toBe(204);
    expect((await client.request('GET', '/volumes')).body).toBe(before);
  });

  it("should count the read a client following the queue's redirect causes", async () => {
    const before = (await requestCalls()).get('loadVolume') ?? 0;

    const followed = await client.request('GET', `/volumes/${volumeId}`, undefined, {
      Referer: `${server.url}/queue/0123456789abcdef0123456789abcdef`,
    });

    expect(followed.status).toBe(200);
    expect((await requestCalls()).get('loadVolume')).toBe(before + 1);
  });
});
