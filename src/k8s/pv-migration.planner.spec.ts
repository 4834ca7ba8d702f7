import type { V1PersistentVolume } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { inTreePv, nfsPv, volumeInfo } from '../../test/factories/in-tree-pv.factory.js';
import { validateObject } from '../../test/k8s/k8s-schema.validator.js';
import type { HeketiVolumeInfo } from '../heketi-client/heketi-api.types.js';
import { planMigration } from './pv-migration.planner.js';
import type { MigrationOptions, VolumeLookup } from './pv-migration.types.js';

const ID = '0d5b1e7c9a3f4e2b8c6d0a1f2e3b4c5d';
const OTHER = '9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49';
const PATH = `gv0/${ID}/k8s_shop_orders-db_7f3e`;
const SERVERS = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
const OPTIONS: MigrationOptions = { driver: 'piragua.gluster.org', secretName: 'heketi', secretNamespace: 'csi' };

function lookupOf(...volumes: HeketiVolumeInfo[]): VolumeLookup & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    getVolume: (id) => {
      asked.push(id);
      return Promise.resolve(volumes.find((volume) => volume.id === id));
    },
  };
}

async function leftReason(pv: V1PersistentVolume, lookup: VolumeLookup = lookupOf()): Promise<string> {
  const plan = await planMigration([pv], lookup, OPTIONS);
  expect(plan.moves).toEqual([]);
  expect(plan.left).toHaveLength(1);
  return plan.left[0].reason;
}

describe(planMigration.name, () => {
  it('should replace a bound in-tree PV by a CSI PV of the same name, claim, size, modes, policy and options', async () => {
    const old = inTreePv({ path: PATH, volumeId: ID, gid: 40007, sizeGiB: 3 });
    const plan = await planMigration([old], lookupOf(volumeInfo(PATH, SERVERS, 40007)), OPTIONS);

    expect(plan.left).toEqual([]);
    expect(plan.moves).toHaveLength(1);
    const [move] = plan.moves;
    expect(move).toMatchObject({
      claim: { name: 'orders-db', namespace: 'shop' },
      endpoints: `shop/glusterfs-dynamic-${old.spec!.claimRef!.uid!}`,
      name: old.metadata!.name,
      reclaimPolicy: 'Delete',
      storageClassName: 'gluster-shared',
      volumeId: ID,
      warnings: [],
    });
    expect(move.replacement).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: old.metadata!.name,
        annotations: {
          'gluster.kubernetes.io/heketi-volume-id': ID,
          'pv.beta.kubernetes.io/gid': '40007',
          'pv.kubernetes.io/bound-by-controller': 'yes',
          'pv.kubernetes.io/provisioned-by': 'piragua.gluster.org',
          'volume.kubernetes.io/provisioner-deletion-secret-name': 'heketi',
          'volume.kubernetes.io/provisioner-deletion-secret-namespace': 'csi',
          'piragua.gluster.org/migrated-from': 'kubernetes.io/glusterfs',
        },
      },
      spec: {
        accessModes: ['ReadWriteMany'],
        capacity: { storage: '3Gi' },
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          name: 'orders-db',
          namespace: 'shop',
          uid: old.spec!.claimRef!.uid,
        },
        csi: {
          driver: 'piragua.gluster.org',
          volumeHandle: ID,
          volumeAttributes: {
            backend: 'gluster',
            glusterServers: '10.0.0.1,10.0.0.2,10.0.0.3',
            glusterVolume: 'gv0',
            path: `${ID}/k8s_shop_orders-db_7f3e`,
            gid: '40007',
          },
          controllerExpandSecretRef: { name: 'heketi', namespace: 'csi' },
        },
        mountOptions: ['log-level=WARNING'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'gluster-shared',
        volumeMode: 'Filesystem',
      },
    });
    expect(validateObject(move.replacement)).toEqual([]);
  });

  it('should keep a Retain policy, a read-only source and an unbound PV without claimRef', async () => {
    const old = inTreePv({ path: PATH, volumeId: ID, phase: 'Available', reclaimPolicy: 'Retain' });
    delete old.spec!.claimRef;
    old.spec!.glusterfs!.readOnly = true;
    const { moves } = await planMigration([old], lookupOf(volumeInfo(PATH, SERVERS)), OPTIONS);

    expect(moves[0].replacement.spec).toMatchObject({
      csi: { readOnly: true },
      persistentVolumeReclaimPolicy: 'Retain',
    });
    expect(moves[0].replacement.spec!.claimRef).toBeUndefined();
    expect(moves[0].claim).toBeUndefined();
  });

  it("should take the servers from the device and backup-volfile-servers when hosts is empty, and piragua's gid", async () => {
    const old = inTreePv({ path: PATH, volumeId: ID });
    delete old.metadata!.annotations!['pv.beta.kubernetes.io/gid'];
    const info = volumeInfo(PATH, SERVERS, 40100);
    info.mount.glusterfs.hosts = [];
    const { moves } = await planMigration([old], lookupOf(info), OPTIONS);

    expect(moves[0].replacement.spec!.csi!.volumeAttributes).toMatchObject({
      gid: '40100',
      glusterServers: '10.0.0.1,10.0.0.2,10.0.0.3',
    });
  });

  it('should warn when the PV and piragua disagree on the gid, and keep the one pods get', async () => {
    const { moves } = await planMigration(
      [inTreePv({ path: PATH, volumeId: ID, gid: 40001 })],
      lookupOf(volumeInfo(PATH, SERVERS, 40002)),
      OPTIONS,
    );
    expect(moves[0].replacement.spec!.csi!.volumeAttributes!.gid).toBe('40001');
    expect(moves[0].warnings).toEqual([expect.stringContaining('the PV says 40001, piragua 40002')]);
  });

  it("should leave alone PVs that are not glusterfs, or already piragua's CSI volumes", async () => {
    expect(await leftReason(nfsPv('media'))).toBe('not a glusterfs volume: nfs');
    const other = nfsPv('ebs');
    delete other.spec!.nfs;
    other.spec!.csi = { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-1' };
    expect(await leftReason(other)).toBe('not a glusterfs volume: csi (driver ebs.csi.aws.com)');
    other.spec!.csi = { driver: 'piragua.gluster.org', volumeHandle: ID };
    expect(await leftReason(other)).toBe('already a CSI volume of piragua.gluster.org');
  });

  it("should leave alone glusterfs PVs whose path is not piragua's shape (a real Heketi's vol_<id>)", async () => {
    const heketi = inTreePv({ path: `vol_${ID}`, volumeId: ID });
    expect(await leftReason(heketi)).toBe(`path vol_${ID} is not piragua's <gluster volume>/<id>/<name>`);
    const upper = inTreePv({ path: `gv0/${ID.toUpperCase()}/x`, volumeId: ID });
    expect(await leftReason(upper)).toMatch(/is not piragua's/);
  });

  it('should leave alone half-deleted PVs: deletionTimestamp with finalizers, Released, Failed', async () => {
    const deleting = inTreePv({ path: PATH, volumeId: ID });
    deleting.metadata!.deletionTimestamp = new Date('2026-12-01T08:00:00Z');
    expect(await leftReason(deleting)).toMatch(/^being deleted since .*\(finalizers: kubernetes\.io\/pv-protection\)$/);
    expect(await leftReason(inTreePv({ path: PATH, volumeId: ID, phase: 'Released' }))).toMatch(/^phase Released: /);
    expect(await leftReason(inTreePv({ path: PATH, volumeId: ID, phase: 'Failed' }))).toMatch(/^phase Failed: /);
    const noUid = inTreePv({ path: PATH, volumeId: ID });
    delete noUid.spec!.claimRef!.uid;
    expect(await leftReason(noUid)).toBe('Bound, but its claimRef has no uid to rebind to');
  });

  it('should leave alone a PV with a mount option the node plugin refuses, naming it', async () => {
    const pv = inTreePv({ path: PATH, volumeId: ID });
    pv.spec!.mountOptions = ['noatime', 'log-file=/var/log/orders.log'];
    expect(await leftReason(pv, lookupOf(volumeInfo(PATH, SERVERS)))).toBe(
      'mount option "log-file=/var/log/orders.log" is not allowed: it writes a file on the node' +
        ': the node plugin would not mount it (remove the option from the PV, then plan again)',
    );
  });

  it('should leave alone a PV whose volume is gone from piragua, or is another one under that id', async () => {
    const lookup = lookupOf(volumeInfo(`gv1/${OTHER}/elsewhere`, SERVERS));
    expect(await leftReason(inTreePv({ path: PATH, volumeId: ID }), lookup)).toBe(
      `piragua has no volume ${ID} (deleted, or served by another piragua)`,
    );
    const renamed = inTreePv({ path: `gv0/${OTHER}/elsewhere`, volumeId: OTHER });
    expect(await leftReason(renamed, lookup)).toBe(
      `piragua's volume ${OTHER} is gv1/${OTHER}/elsewhere, the PV's path is gv0/${OTHER}/elsewhere`,
    );
    expect(lookup.asked).toEqual([ID, OTHER]);
  });

  it('should leave alone a PV whose heketi-volume-id annotation contradicts its path, without asking piragua', async () => {
    const lookup = lookupOf(volumeInfo(PATH, SERVERS));
    const pv = inTreePv({ path: PATH, volumeId: OTHER });
    expect(await leftReason(pv, lookup)).toBe(
      `annotation gluster.kubernetes.io/heketi-volume-id says ${OTHER}, its path says ${ID}`,
    );
    expect(lookup.asked).toEqual([]);
  });

  it('should report, not guess, when piragua does not answer', async () => {
    const failing: VolumeLookup = { getVolume: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:8080')) };
    const plan = await planMigration([inTreePv({ path: PATH, volumeId: ID })], failing, OPTIONS);
    expect(plan).toEqual({
      errors: [{ name: expect.any(String), reason: `asking piragua about ${ID}: connect ECONNREFUSED 10.0.0.1:8080` }],
      left: [],
      moves: [],
    });
  });
});
