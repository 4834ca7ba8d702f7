import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { inTreePv, nfsPv, volumeInfo } from '../../test/factories/in-tree-pv.factory.js';
import type { HeketiVolumeInfo } from '../heketi-client/heketi-api.types.js';
import { migratePvs, readPvList } from './migrate-pvs.command.js';

const ID = '0d5b1e7c9a3f4e2b8c6d0a1f2e3b4c5d';
const PATH = `gv0/${ID}/k8s_shop_orders-db_7f3e`;
const PV = inTreePv({ path: PATH, volumeId: ID });
const PV_NAME = PV.metadata!.name!;

/** `kubectl get pv -o json` as the cluster prints it (dates as strings). */
const listJson = (...items: unknown[]) => JSON.stringify({ apiVersion: 'v1', items, kind: 'List' });

function run(argv: string[], stdin: string, volumes: HeketiVolumeInfo[] = [volumeInfo(PATH, ['10.0.0.1'])]) {
  const out: string[] = [];
  const err: string[] = [];
  const settings: unknown[] = [];
  const code = migratePvs(
    argv,
    { readStdin: () => Promise.resolve(stdin), stderr: (text) => err.push(text), stdout: (text) => out.push(text) },
    (given) => {
      settings.push(given);
      return { close: () => undefined, getVolume: (id) => Promise.resolve(volumes.find((each) => each.id === id)) };
    },
  );
  return code.then((exit) => ({ code: exit, settings, stderr: err.join(''), stdout: out.join('') }));
}

const KEYS = ['--heketi-url', 'http://10.0.0.1:8080', '--heketi-key', 'k'];

describe(migratePvs.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'piragua-migrate-'));
  });
  afterEach(() => {
    spawnSync('rm', ['-rf', dir]);
  });

  it('should print the plan, the script and the new PVs in a dry run, and write nothing', async () => {
    const result = await run(KEYS, listJson(PV, nfsPv('media')));

    expect(result.code).toBe(0);
    expect(result.settings).toEqual([{ key: 'k', url: 'http://10.0.0.1:8080', user: 'admin' }]);
    expect(result.stdout).toMatch(/^1 PV\(s\) move to piragua\.gluster\.org, 1 left alone, 0 undecided/);
    expect(result.stdout).toContain('  media  not a glusterfs volume: nfs');
    expect(result.stdout).toContain('Dry run: nothing written.');
    const yaml = result.stdout.split(`--- pv-${PV_NAME}.yaml\n`)[1];
    expect(yaml).toContain('pv.kubernetes.io/bound-by-controller: "yes"\n');
    // kubectl reads YAML 1.1, where an unquoted yes is a bool that no annotation accepts.
    expect(parse(yaml, { version: '1.1' })).toMatchObject({
      metadata: { annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' }, name: PV_NAME },
      spec: { csi: { volumeAttributes: { gid: '40001' }, volumeHandle: ID } },
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('should write report.txt, an executable migrate.sh and one file per PV with --out, into an empty directory only', async () => {
    const out = join(dir, 'plan');
    const result = await run([...KEYS, '--out', out], listJson(PV));

    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['migrate.sh', `pv-${PV_NAME}.yaml`, 'report.txt']);
    expect(statSync(join(out, 'migrate.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(out, 'report.txt'), 'utf8')).toBe(result.stdout.split('\nWrote ')[0]);
    const again = await run([...KEYS, '--out', out], listJson(PV));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('is not empty');
  });

  it('should read --pvs FILE and the key from --heketi-key-file, and take YAML or a single PV', async () => {
    writeFileSync(join(dir, 'key'), 'from-file\n');
    writeFileSync(join(dir, 'pv.json'), JSON.stringify(PV));
    const result = await run(
      ['--heketi-url', 'http://h:8080', '--heketi-key-file', join(dir, 'key'), '--pvs', join(dir, 'pv.json')],
      '',
    );
    expect(result.code).toBe(0);
    expect(result.settings).toEqual([{ key: 'from-file', url: 'http://h:8080', user: 'admin' }]);
    expect(readPvList('apiVersion: v1\nkind: List\nitems: []\n')).toEqual([]);
  });

  it('should refuse what it cannot use, with exit code 2 and the usage', async () => {
    expect((await run(['--heketi-url', 'http://h'], listJson(PV))).stderr).toContain('a key (--heketi-key-file');
    expect((await run([...KEYS, '--bogus'], listJson(PV))).code).toBe(2);
    expect((await run(KEYS, '{"kind":"PersistentVolumeClaim"}')).stderr).toContain('neither a list');
    expect((await run(KEYS, listJson({ kind: 'Pod' }))).stderr).toContain('holds a Pod');
    expect((await run(KEYS, '{ not json: [')).code).toBe(2);
    expect((await run([...KEYS, '--pvs', join(dir, 'missing.json')], '')).code).toBe(2);
  });

  it('should exit 1 when piragua could not be asked about some PV', async () => {
    const out: string[] = [];
    const code = await migratePvs(
      KEYS,
      { readStdin: () => Promise.resolve(listJson(PV)), stderr: () => undefined, stdout: (text) => out.push(text) },
      () => ({ close: () => undefined, getVolume: () => Promise.reject(new Error('HTTP 401: token expired')) }),
    );
    expect(code).toBe(1);
    expect(out.join('')).toContain(
      `Undecided (run again when piragua answers):\n  ${PV_NAME}  asking piragua about ${ID}`,
    );
  });
});

describe('migrate.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'piragua-script-'));
  });
  afterEach(() => {
    spawnSync('rm', ['-rf', dir]);
  });

  /** Runs the written script against a kubectl that logs its arguments; `pods` is what `get pods` lists. */
  async function runScript(pods: string) {
    await run([...KEYS, '--out', join(dir, 'plan')], listJson(PV));
    const bin = join(dir, 'bin');
    spawnSync('mkdir', [bin]);
    writeFileSync(
      join(bin, 'kubectl'),
      [
        '#!/usr/bin/env bash',
        `echo "$*" >>${join(dir, 'calls')}`,
        `case "$1 $2" in`,
        `  "get pods") printf '%s\\n' "${pods}" ;;`,
        `  "get pv") [ "$5" = yaml ] && echo "kind: PersistentVolume" || exit 1 ;;`,
        'esac',
      ].join('\n'),
    );
    chmodSync(join(bin, 'kubectl'), 0o755);
    const result = spawnSync('bash', [join(dir, 'plan', 'migrate.sh')], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    return { calls: readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n'), result };
  }

  it('should save the PV, set Retain, delete it, drop its finalizer, wait, create the CSI PV and wait for the claim', async () => {
    const { calls, result } = await runScript('cache-0 redis-data');

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(calls.map((call) => call.replace(/ -o jsonpath=.*/, ''))).toEqual([
      'get pods -n shop',
      `get pv ${PV_NAME} -o yaml`,
      `patch pv ${PV_NAME} -p {"spec":{"persistentVolumeReclaimPolicy":"Retain"}}`,
      `delete pv ${PV_NAME} --wait=false`,
      `patch pv ${PV_NAME} --type=merge -p {"metadata":{"finalizers":null}}`,
      `get pv ${PV_NAME}`,
      `create -f pv-${PV_NAME}.yaml`,
      `wait -n shop pvc/orders-db --for=jsonpath={.status.phase}=Bound --timeout=120s`,
    ]);
    expect(readFileSync(join(dir, 'plan', 'backup', `${PV_NAME}.yaml`), 'utf8')).toBe('kind: PersistentVolume\n');
  });

  it('should stop before touching a PV whose claim a pod still mounts', async () => {
    const { calls, result } = await runScript('orders-api-7d9 orders-db config');

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${PV_NAME}: pods still use shop/orders-db: orders-api-7d9`);
    expect(calls).toHaveLength(1);
  });
});
