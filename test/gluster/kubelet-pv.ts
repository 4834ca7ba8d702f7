import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { kubeletMount, sh } from './gluster-shell.js';

/**
 * Mounts a 1 GiB volume's device as kubelet does and checks its quota from the inside: `df` shows
 * it, and writing past it fails with EDQUOT. Returns the mount point, for the caller to unmount.
 */
export async function expectOneGiBEnforced(device: string): Promise<string> {
  const target = mkdtempSync(join(tmpdir(), 'piragua-pv-'));
  await kubeletMount(device, '127.0.0.2', target);
  const df = await sh('df', ['-B1', '--output=size', target]);
  expect(Number(df.stdout.trim().split('\n')[1])).toBe(1024 ** 3);
  const overflow = await sh('dd', ['if=/dev/zero', `of=${join(target, 'big')}`, 'bs=4M', 'count=308', 'conv=fsync']);
  expect(overflow.code).not.toBe(0);
  expect(overflow.stderr).toContain('Disk quota exceeded');
  return target;
}
