import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeketiClient } from '../heketi-client.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { treeSnapshot } from '../tree-snapshot.js';

describe('Bad input gets a clear 4xx and changes nothing', () => {
  let server: PiraguaProcess;
  let dataDir: string;
  let admin: HeketiClient;
  let existingId: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'piragua-hostile-'));
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: dataDir });
    admin = new HeketiClient(server.url, ADMIN_KEY);
    existingId = (await admin.async('POST', '/volumes', { size: 1, name: 'existing' })).final.json().id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  const createBodies: [string, string | object, number, string | RegExp][] = [
    ['malformed JSON', '{"size": 1', 422, 'request unable to be parsed'],
    ['an empty body', '', 422, 'request unable to be parsed'],
    ['a JSON array', '[1,2]', 422, 'request unable to be parsed'],
    ['a JSON string', '"size"', 422, 'request unable to be parsed'],
    ['size as a string', { size: '1' }, 422, 'request unable to be parsed'],
    ['a fractional size', { size: 1.5 }, 422, 'request unable to be parsed'],
    ['name as a number', { size: 1, name: 7 }, 422, 'request unable to be parsed'],
    ['durability as a string', { size: 1, durability: 'replicate' }, 422, 'request unable to be parsed'],
    ['gid as a string', { size: 1, gid: 'wheel' }, 422, 'request unable to be parsed'],
    ['no size', { name: 'x' }, 400, 'validation failed: size: cannot be blank.'],
    ['size zero', { size: 0 }, 400, 'validation failed: size: cannot be blank.'],
    ['a negative size', { size: -5 }, 400, 'validation failed: size: must be no less than 1.'],
    ['a huge size', { size: 1e15 }, 400, 'Invalid volume size'],
    ['a name with a slash', { size: 1, name: 'a/b' }, 400, 'validation failed: name: must be in a valid format.'],
    ['a name with ..', { size: 1, name: '..' }, 400, 'validation failed: name: must be in a valid format.'],
    ['a name with spaces', { size: 1, name: 'my volume' }, 400, 'validation failed: name: must be in a valid format.'],
    ['a unicode name', { size: 1, name: 'volumen_ñ' }, 400, 'validation failed: name: must be in a valid format.'],
    [
      'a name of 10,000 characters',
      { size: 1, name: 'a'.repeat(10_000) },
      400,
      'validation failed: name: the length must be no more than 200.',
    ],
    [
      'two bad fields',
      { size: -1, name: 'a b' },
      400,
      'validation failed: name: must be in a valid format; size: must be no less than 1.',
    ],
    ['a negative gid', { size: 1, gid: -1 }, 400, 'Bad group id less than zero'],
    ['a gid too large', { size: 1, gid: 2147483647 }, 400, 'Bad group id equal or greater than 2**32'],
    ['an unknown durability', { size: 1, durability: { type: 'mirror' } }, 400, 'Unknown durability type'],
    ['a snapshot factor of 200', { size: 1, snapshot: { enable: true, factor: 200 } }, 400, 'Invalid snapshot factor'],
    [
      'replica 4',
      { size: 1, durability: { type: 'replicate', replicate: { replica: 4 } } },
      400,
      'Invalid replica value',
    ],
    [
      'disperse 3+1',
      { size: 3, durability: { type: 'disperse', disperse: { data: 3, redundancy: 1 } } },
      400,
      'Invalid dispersion combination: 3+1',
    ],
    [
      'an unknown cluster',
      { size: 1, clusters: ['00000000000000000000000000000000'] },
      400,
      'Cluster id 00000000000000000000000000000000 not found',
    ],
    ['a body over 64 KiB', JSON.stringify({ size: 1, name: 'x'.repeat(70_000) }), 413, 'request body too large'],
  ];

  it.each(createBodies)('should refuse a create with %s', async (_case, body, status, message) => {
    const before = treeSnapshot(dataDir);
    const response = await admin.request('POST', '/volumes', body);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    if (typeof message === 'string') {
      expect(response.body).toBe(`${message}\n`);
    } else {
      expect(response.body).toMatch(message);
    }
    expect(treeSnapshot(dataDir)).toEqual(before);
  });

  it('should accept JSON keys in any case and ignore unknown ones, as Go does', async () => {
    const created = await admin.async('POST', '/volumes', { Size: 1, NAME: 'mixed_case', unknown: { deep: true } });
    expect(created.final.status).toBe(200);
    expect(created.final.json().name).toMatch(/\/mixed_case$/);
  });

  const expandBodies: [string, string | object, number, string][] = [
    ['no expand_size', {}, 400, 'validation failed: expand_size: cannot be blank.'],
    ['a negative expand_size', { expand_size: -1 }, 400, 'validation failed: expand_size: must be no less than 1.'],
    ['expand_size as a string', { expand_size: '2' }, 422, 'request unable to be parsed'],
    ['malformed JSON', '{', 422, 'request unable to be parsed'],
  ];

  it.each(expandBodies)('should refuse an expand with %s', async (_case, body, status, message) => {
    const before = treeSnapshot(dataDir);
    const response = await admin.request('POST', `/volumes/${existingId}/expand`, body);
    expect(response).toMatchObject({ body: `${message}\n`, status });
    expect(treeSnapshot(dataDir)).toEqual(before);
  });

  const badIds = ['xyz', '..', '0d5b1e7c-9a3f-4e2b-8c6d-0a1f2e3b4c5d', `${'a'.repeat(1000)}`, '%2e%2e%2fetc'];

  it.each(badIds)('should answer 404 for the id %s on every volume route', async (id) => {
    const before = treeSnapshot(dataDir);
    for (const [method, path] of [
      ['GET', `/volumes/${id}`],
      ['DELETE', `/volumes/${id}`],
      ['POST', `/volumes/${id}/expand`],
      ['GET', `/queue/${id}`],
      ['GET', `/clusters/${id}`],
      ['GET', `/nodes/${id}`],
    ]) {
      const response = await admin.request(method, path, method === 'POST' ? { expand_size: 1 } : undefined);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body).toMatch(/^(Invalid path or request|Id not found)\n$/);
    }
    expect(treeSnapshot(dataDir)).toEqual(before);
  });

  it.each([
    ['/volumes%zz', 'volumes%zz'],
    ['/volumes/%zz', '%zz'],
    ['/clusters/%ff', '%ff'],
  ])('should answer 400 for the badly escaped path %s, before authenticating, as Go does', async (path, segment) => {
    const before = treeSnapshot(dataDir);
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await fetch(`${server.url}${path}`, { method });
      expect({ body: await response.text(), status: response.status }, `${method} ${path}`).toEqual({
        body: `Failed to decode param '${segment}'\n`,
        status: 400,
      });
    }
    expect(treeSnapshot(dataDir)).toEqual(before);
  });

  it('should answer Id not found for well-formed ids that do not exist', async () => {
    const missing = '0123456789abcdef0123456789abcdef';
    for (const [method, path] of [
      ['GET', `/volumes/${missing}`],
      ['DELETE', `/volumes/${missing}`],
      ['GET', `/queue/${missing}`],
      ['GET', `/clusters/${missing}`],
      ['GET', `/nodes/${missing}`],
      ['GET', `/devices/${missing}`],
    ]) {
      expect(await admin.request(method, path), `${method} ${path}`).toMatchObject({
        body: 'Id not found\n',
        status: 404,
      });
    }
  });

  it('should never leak a stack trace, a key or a host path', async () => {
    const responses = await Promise.all([
      admin.request('POST', '/volumes', '{"size":'),
      admin.request('POST', '/volumes', { size: 1, name: '../../etc' }),
      admin.request('GET', `/volumes/${'f'.repeat(32)}`),
      admin.request('POST', `/volumes/${existingId}/expand`, { expand_size: 1e15 }),
    ]);
    for (const response of responses) {
      expect(response.body).not.toMatch(/at .*\(|node_modules|\/tmp\/|piragua-hostile|e2e-admin-secret/);
    }
  });
});
