#!/usr/bin/env node
import { text } from 'node:stream/consumers';
import { migratePvs, MIGRATE_PVS_USAGE } from '../k8s/migrate-pvs.command.js';

/** `piragua k8s <command>`: the Kubernetes helpers (deploy/piragua-cli runs this for `piragua k8s`). */
const [command, ...args] = process.argv.slice(2);
if (command === 'migrate-pvs') {
  process.exitCode = await migratePvs(args, {
    readStdin: () => text(process.stdin),
    stderr: (line) => process.stderr.write(line),
    stdout: (line) => process.stdout.write(line),
  });
} else {
  process.stderr.write(`unknown command ${command ?? '(none)'}\n\n${MIGRATE_PVS_USAGE}`);
  process.exitCode = 2;
}
