import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { HeketiVolumeInfo } from '../../src/heketi-client/heketi-api.types.js';
import { inTreePv, nfsPv } from '../factories/in-tree-pv.factory.js';
import { HeketiClient } from '../heketi-client.js';
import { validateObject } from '../k8s/k8s-schema.validator.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';

/** The built command, as an operator runs it: `kubectl get pv -o json` in a file, piragua's REST API to ask. */
function migratePvs(args: string[]) {
  return spawnSync(process.execPath, [resolve('dist/bin/piragua-k8s.js'), 'migrate-pvs', ...args], {
    encoding: 'utf8',
  });
}

describe('piragua k8s migrate-pvs against a running piragua', () => {
  let server: PiraguaProcess;
  let dir: string;
  let kept: HeketiVolumeInfo;
  let gone: HeketiVolumeInfo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'piragua-migrate-e2e-'));
    server = await PiraguaProcess.start({ PIRAGUA_DATA_DIR: join(dir, 'data') });
    const admin = new HeketiClient(server.url, ADMIN_KEY);
    // What the in-tree provisioner asked for: a prefixed name, a gid from the class's range.
    kept = (
      await admin.async('POST', '/volumes', { gid: 40001, name: 'k8s_shop_orders-db_7f3e', size: 2 })
    ).final.json();
    gone = (await admin.async('POST', '/volumes', { gid: 40002, name: 'k8s_shop_old_1a2b', size: 1 })).final.json();
    expect((await admin.async('DELETE', `/volumes/${gone.id}`)).final.status).toBe(204);
    writeFileSync(join(dir, 'key'), `${ADMIN_KEY}\n`);
    const pvs = [
      inTreePv({ claimName: 'orders-db', gid: 40001, path: kept.name, sizeGiB: 2, volumeId: kept.id }),
      inTreePv({
        claimName: 'old',
        claimUid: '7b2f9d41-0c3e-4a5b-8d6f-2e3f4a5b6c7d',
        gid: 40002,
        path: gone.name,
        volumeId: gone.id,
      }),
      nfsPv('media'),
    ];
    writeFileSync(join(dir, 'pvs.json'), JSON.stringify({ apiVersion: 'v1', items: pvs, kind: 'List' }));
  });

  afterAll(async () => {
    await server?.stop();
    spawnSync('rm', ['-rf', dir]);
  });

  const args = () => [
    '--heketi-url',
    server.url,
    '--heketi-key-file',
    join(dir, 'key'),
    '--pvs',
    join(dir, 'pvs.json'),
  ];

  it('should move the volume piragua has, and leave the deleted one and the nfs PV alone, saying why', () => {
    const result = migratePvs(args());

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^1 PV\(s\) move to piragua\.gluster\.org, 2 left alone, 0 undecided/);
    expect(result.stdout).toContain(`volume ${kept.id}  reclaim Delete  class gluster-shared`);
    expect(result.stdout).toContain(`piragua has no volume ${gone.id} (deleted, or served by another piragua)`);
    expect(result.stdout).toContain('  media  not a glusterfs volume: nfs');
  });

  it("should write a CSI PV whose volume attributes are piragua's own answer for the volume", () => {
    const out = join(dir, 'plan');
    const result = migratePvs([...args(), '--out', out]);

    expect(result.status).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['migrate.sh', 'pv-pvc-6a1e8c52-3f0b-4d5e-9a77-1c2b3d4e5f60.yaml', 'report.txt']);
    const pv = parse(readFileSync(join(out, files[1]), 'utf8')) as Record<string, any>;
    const [glusterVolume, id, name] = kept.name.split('/');
    expect(pv.spec.csi).toEqual({
      controllerExpandSecretRef: { name: 'piragua-heketi', namespace: 'piragua-csi' },
      driver: 'piragua.gluster.org',
      volumeAttributes: {
        backend: 'gluster',
        gid: '40001',
        glusterServers: kept.mount.glusterfs.hosts.join(','),
        glusterVolume,
        path: `${id}/${name}`,
      },
      volumeHandle: kept.id,
    });
    expect(pv.spec.capacity).toEqual({ storage: '2Gi' });
    expect(validateObject(pv)).toEqual([]);
    expect(readFileSync(join(out, 'migrate.sh'), 'utf8')).toContain(`# ${pv.metadata.name}: claim shop/orders-db`);
  });

  it('should say piragua did not answer (exit 1) rather than guess, when the key is wrong', () => {
    writeFileSync(join(dir, 'wrong-key'), 'not the key');
    const result = migratePvs([
      '--heketi-url',
      server.url,
      '--heketi-key-file',
      join(dir, 'wrong-key'),
      '--pvs',
      join(dir, 'pvs.json'),
    ]);

    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^0 PV\(s\) move to piragua\.gluster\.org, 1 left alone, 2 undecided/);
    expect(result.stdout).toContain(`asking piragua about ${kept.id}:`);
  });
});
