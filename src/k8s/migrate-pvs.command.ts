import type { V1PersistentVolume } from '@kubernetes/client-node';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, YAMLParseError } from 'yaml';
import { CSI_PLUGIN_NAME } from '../csi/csi-plugin.js';
import { HeketiApiClient } from '../heketi-client/heketi-api.client.js';
import { planMigration } from './pv-migration.planner.js';
import { pvFileName, renderPv, renderReport, renderScript } from './pv-migration.renderer.js';
import type { MigrationOptions, VolumeLookup } from './pv-migration.types.js';

export const MIGRATE_PVS_USAGE = `usage: piragua k8s migrate-pvs --heketi-url URL (--heketi-key-file FILE | --heketi-key KEY)
         [--pvs FILE] [--heketi-user admin] [--secret-name piragua-heketi] [--secret-namespace piragua-csi]
         [--out DIR]

Reads the cluster's PersistentVolumes (kubectl get pv -o json, on stdin or from --pvs), finds the
kubernetes.io/glusterfs ones piragua made, and plans their move to the CSI driver ${CSI_PLUGIN_NAME}.
Without --out it prints the plan: what moves, what is left alone and why, the script and the new
PVs. With --out it writes them there (report.txt, migrate.sh, pv-<name>.yaml). It never changes
the cluster: you read migrate.sh, then run it.
`;

export interface CommandIo {
  readStdin(): Promise<string>;
  stderr(text: string): void;
  stdout(text: string): void;
}

export interface LookupSettings {
  key: string;
  url: string;
  user: string;
}

/** The piragua REST API as the lookup, one fresh token per request. */
export function restLookup(settings: LookupSettings): VolumeLookup & { close(): void } {
  return new HeketiApiClient(settings);
}

class UsageError extends Error {}

/** `kubectl get pv -o json` (or -o yaml): a List of PVs, or one PV. */
export function readPvList(text: string): V1PersistentVolume[] {
  const document: unknown = parse(text);
  const list = document as { items?: unknown; kind?: string };
  const items: unknown[] = Array.isArray(list?.items) ? list.items : list?.kind === 'PersistentVolume' ? [list] : [];
  if (items.length === 0 && !Array.isArray(list?.items)) {
    throw new UsageError('the input is neither a list of PersistentVolumes nor one (kubectl get pv -o json)');
  }
  for (const item of items) {
    const kind = (item as { kind?: string }).kind;
    if (kind !== undefined && kind !== 'PersistentVolume') {
      throw new UsageError(`the input holds a ${kind}, not only PersistentVolumes`);
    }
  }
  return items as V1PersistentVolume[];
}

async function writePlan(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) {
    throw new UsageError(`${dir} is not empty: write each plan to a directory of its own`);
  }
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), text);
  }
  await chmod(join(dir, 'migrate.sh'), 0o755);
}

/** Runs the command; resolves to the exit code (0 done, 1 piragua did not answer for some PV, 2 usage). */
export async function migratePvs(
  argv: string[],
  io: CommandIo,
  makeLookup: (settings: LookupSettings) => VolumeLookup & { close(): void } = restLookup,
): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean' },
        'heketi-key': { type: 'string' },
        'heketi-key-file': { type: 'string' },
        'heketi-url': { type: 'string' },
        'heketi-user': { default: 'admin', type: 'string' },
        out: { type: 'string' },
        pvs: { type: 'string' },
        'secret-name': { default: 'piragua-heketi', type: 'string' },
        'secret-namespace': { default: 'piragua-csi', type: 'string' },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout(MIGRATE_PVS_USAGE);
      return 0;
    }
    const keyFile = values['heketi-key-file'];
    const key = keyFile === undefined ? values['heketi-key'] : (await readFile(keyFile, 'utf8')).trim();
    if (values['heketi-url'] === undefined || !key) {
      throw new UsageError('--heketi-url and a key (--heketi-key-file or --heketi-key) are needed');
    }
    const input =
      values.pvs === undefined || values.pvs === '-' ? await io.readStdin() : await readFile(values.pvs, 'utf8');
    const pvs = readPvList(input);
    const options: MigrationOptions = {
      driver: CSI_PLUGIN_NAME,
      secretName: values['secret-name'],
      secretNamespace: values['secret-namespace'],
    };
    const lookup = makeLookup({ key, url: values['heketi-url'], user: values['heketi-user'] });
    const plan = await planMigration(pvs, lookup, options).finally(() => lookup.close());
    const report = renderReport(plan, options);
    const files: Record<string, string> = { 'report.txt': report, 'migrate.sh': renderScript(plan, options) };
    for (const move of plan.moves) {
      files[pvFileName(move)] = renderPv(move);
    }
    if (values.out === undefined) {
      io.stdout(report);
      if (plan.moves.length > 0) {
        io.stdout(`\nDry run: nothing written. With --out DIR these files are written there:\n`);
        for (const [name, text] of Object.entries(files).filter(([name]) => name !== 'report.txt')) {
          io.stdout(`\n--- ${name}\n${text}`);
        }
      }
    } else {
      await writePlan(values.out, files);
      io.stdout(report);
      io.stdout(`\nWrote ${Object.keys(files).join(', ')} to ${values.out}. Read migrate.sh, then run it.\n`);
    }
    return plan.errors.length > 0 ? 1 : 0;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (error instanceof UsageError || error instanceof YAMLParseError || code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`${(error as Error).message}\n\n${MIGRATE_PVS_USAGE}`);
      return 2;
    }
    if (code === 'ENOENT' || code === 'EACCES') {
      io.stderr(`${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}
