import { stringify } from 'yaml';
import type { MigrationOptions, MigrationPlan, PvMove } from './pv-migration.types.js';

/** The file a replacement PV is written to, beside the script. */
export function pvFileName(move: PvMove): string {
  return `pv-${move.name}.yaml`;
}

/** YAML 1.1 quoting: kubectl reads `yes`, `on` or a date unquoted as a bool or a time, not the annotation's string. */
export function renderPv(move: PvMove): string {
  return stringify(move.replacement, { lineWidth: 0, version: '1.1' });
}

function claimOf(move: PvMove): string {
  return move.claim ? `${move.claim.namespace}/${move.claim.name}` : '(none)';
}

/** What will move, what will not and why, and what must happen first: for a person to read. */
export function renderReport(plan: MigrationPlan, options: MigrationOptions): string {
  const lines = [
    `${plan.moves.length} PV(s) move to ${options.driver}, ${plan.left.length} left alone, ${plan.errors.length} undecided (piragua did not answer)`,
  ];
  if (plan.moves.length > 0) {
    lines.push('', 'Move (deleted and created again under the same name, as a CSI PV; the data is not touched):');
    for (const move of plan.moves) {
      const attributes = move.replacement.spec!.csi!.volumeAttributes!;
      lines.push(
        `  ${move.name}  claim ${claimOf(move)}  volume ${move.volumeId}  reclaim ${move.reclaimPolicy}  class ${move.storageClassName ?? '(none)'}`,
        `      servers ${attributes.glusterServers}  volume ${attributes.glusterVolume}  path ${attributes.path}  gid ${attributes.gid ?? '(none)'}`,
        ...move.warnings.map((warning) => `      warning: ${warning}`),
      );
    }
  }
  if (plan.left.length > 0) {
    lines.push('', 'Left alone:');
    lines.push(...plan.left.map((left) => `  ${left.name}  ${left.reason}`));
  }
  if (plan.errors.length > 0) {
    lines.push('', 'Undecided (run again when piragua answers):');
    lines.push(...plan.errors.map((error) => `  ${error.name}  ${error.reason}`));
  }
  if (plan.moves.length === 0) {
    return `${lines.join('\n')}\n`;
  }
  const endpoints = plan.moves.flatMap((move) => (move.endpoints ? [move.endpoints] : []));
  const classes = [...new Set(plan.moves.flatMap((move) => (move.storageClassName ? [move.storageClassName] : [])))];
  const claims = plan.moves.flatMap((move) => (move.claim ? [claimOf(move)] : []));
  lines.push(
    '',
    'Before running the steps:',
    `  - the CSI kit runs (kubectl apply -k deploy/kubernetes/csi) and Secret ${options.secretNamespace}/${options.secretName} holds the Heketi key`,
    ...classes.map(
      (name) =>
        `  - StorageClass ${name}: deleted and created again under the same name with provisioner ${options.driver} (claims keep their class; bound PVs do not notice)`,
    ),
    ...(claims.length > 0 ? [`  - no pod uses these claims (scale their workloads to 0): ${claims.join(', ')}`] : []),
    '',
    'Steps for each PV (migrate.sh runs them, and stops before a claim a pod still uses):',
    '  1. save it: kubectl get pv <pv> -o yaml > backup/<pv>.yaml',
    '  2. kubectl patch pv <pv> -p \'{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}\' (nothing may delete the volume)',
    '  3. kubectl delete pv <pv>, and drop the kubernetes.io/pv-protection finalizer that holds a bound PV',
    '  4. kubectl create -f pv-<pv>.yaml: same name, same claimRef uid; the claim (Lost meanwhile) is Bound again',
    '',
    ...(endpoints.length > 0
      ? [
          `Not touched: the in-tree provisioner's Services and Endpoints ${endpoints.join(', ')}: no moved PV uses them, delete them once every claim has moved.`,
        ]
      : []),
  );
  return `${lines.join('\n')}\n`;
}

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** A bash script of the steps, in order, stopping at the first failure. */
export function renderScript(plan: MigrationPlan, options: MigrationOptions): string {
  const lines = [
    '#!/usr/bin/env bash',
    `# Written by \`piragua k8s migrate-pvs\`: moves ${plan.moves.length} PersistentVolume(s) from kubernetes.io/glusterfs`,
    `# to ${options.driver}. Read it before running it, with kubectl pointed at the cluster.`,
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    'mkdir -p backup',
    '',
    '# The pods of namespace $1 that mount claim $2.',
    'pods_using() {',
    `  kubectl get pods -n "$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.volumes[*].persistentVolumeClaim.claimName}{"\\n"}{end}' |`,
    '    awk -v claim="$2" \'{ for (i = 2; i <= NF; i++) if ($i == claim) print $1 }\'',
    '}',
    '',
    '# Waits up to a minute for PV $1 to be gone.',
    'wait_gone() {',
    '  for _ in $(seq 60); do',
    '    kubectl get pv "$1" >/dev/null 2>&1 || return 0',
    '    sleep 1',
    '  done',
    '  echo "$1: still there after a minute" >&2',
    '  return 1',
    '}',
  ];
  for (const move of plan.moves) {
    const pv = quote(move.name);
    lines.push('', `# ${move.name}: claim ${claimOf(move)}, piragua volume ${move.volumeId}`);
    if (move.claim) {
      const [namespace, claim] = [quote(move.claim.namespace), quote(move.claim.name)];
      lines.push(
        `users=$(pods_using ${namespace} ${claim})`,
        `if [ -n "$users" ]; then echo ${quote(`${move.name}: pods still use ${claimOf(move)}:`)} $users >&2; exit 1; fi`,
      );
    }
    lines.push(
      `kubectl get pv ${pv} -o yaml >${quote(`backup/${move.name}.yaml`)}`,
      `kubectl patch pv ${pv} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`,
      `kubectl delete pv ${pv} --wait=false`,
      `kubectl patch pv ${pv} --type=merge -p '{"metadata":{"finalizers":null}}' || true # gone already if nothing held it`,
      `wait_gone ${pv}`,
      `kubectl create -f ${quote(pvFileName(move))}`,
    );
    if (move.claim) {
      lines.push(
        `kubectl wait -n ${quote(move.claim.namespace)} pvc/${quote(move.claim.name)} --for=jsonpath='{.status.phase}'=Bound --timeout=120s`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
