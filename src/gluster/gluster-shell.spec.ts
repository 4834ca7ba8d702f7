import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GlusterShell } from './gluster-shell.js';

/**
 * `late` is answered after 1.3 s by a process that outlives the shell's SIGKILL; `slow` after
 * 0.6 s by the shell itself.
 */
function slowShell(dir: string): string {
  const script = join(dir, 'gluster');
  writeFileSync(
    script,
    [
      '#!/bin/bash',
      'while IFS= read -r line; do',
      '  if [ "$line" = late ]; then (sleep 1.3; echo "<cliOutput>late</cliOutput>") & else sleep 0.6; echo "<cliOutput>$line</cliOutput>"; fi',
      'done',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

describe(GlusterShell.name, () => {
  it('should not take the late answer of a command it gave up on as the answer to the next one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluster-shell-'));
    const shell = new GlusterShell(slowShell(dir), 1000);
    try {
      expect(await shell.run(['late'])).toBeUndefined();
      // Given up at 1 s; the old answer comes at 1.3 s, while the new shell works on `slow` until 1.6 s.
      expect(await shell.run(['slow'])).toBe('<cliOutput>slow</cliOutput>');
    } finally {
      shell.stop();
      rmSync(dir, { force: true, recursive: true });
    }
  });
});
