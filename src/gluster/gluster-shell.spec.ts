import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GlusterShell } from './gluster-shell.js';

/**
 * `late` is answered after 700 ms by a process that outlives the shell's SIGKILL; `slow` after
 * 450 ms by the shell itself.
 */
function slowShell(): string {
  const script = join(mkdtempSync(join(tmpdir(), 'gluster-shell-')), 'gluster');
  writeFileSync(
    script,
    [
      '#!/bin/bash',
      'while IFS= read -r line; do',
      '  if [ "$line" = late ]; then (sleep 0.7; echo "<cliOutput>late</cliOutput>") & else sleep 0.45; echo "<cliOutput>$line</cliOutput>"; fi',
      'done',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

describe(GlusterShell.name, () => {
  it('should not take the late answer of a command it gave up on as the answer to the next one', async () => {
    const shell = new GlusterShell(slowShell(), 500);
    try {
      expect(await shell.run(['late'])).toBeUndefined();
      // Given up at 500 ms; the old answer comes at 700, while the new shell works on `slow`.
      expect(await shell.run(['slow'])).toBe('<cliOutput>slow</cliOutput>');
    } finally {
      shell.stop();
    }
  });
});
