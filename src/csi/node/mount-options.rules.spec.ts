import { describe, expect, it } from 'vitest';
import { CsiNodeError } from './csi-node.errors.js';
import { checkMountFlags } from './mount-options.rules.js';

function refusal(flags: string[], fstype: 'glusterfs' | 'bind' = 'glusterfs'): string {
  try {
    checkMountFlags(flags, fstype);
  } catch (error) {
    expect(error).toBeInstanceOf(CsiNodeError);
    expect((error as CsiNodeError).code).toBe('invalid_argument');
    return (error as CsiNodeError).message;
  }
  throw new Error(`${flags.join(',')} was accepted`);
}

describe('checkMountFlags', () => {
  it('should pass known glusterfs options through, in order, without duplicates', () => {
    expect(
      checkMountFlags(
        ['noatime', 'log-level=ERROR', 'acl,entry-timeout=0.5', 'noatime', 'use-readdirp=no'],
        'glusterfs',
      ),
    ).toEqual({
      options: ['noatime', 'log-level=ERROR', 'acl', 'entry-timeout=0.5', 'use-readdirp=no'],
      readonly: false,
    });
  });

  it('should take ro and rw out of the options and report ro', () => {
    expect(checkMountFlags(['rw', 'nosuid'], 'glusterfs')).toEqual({ options: ['nosuid'], readonly: false });
    expect(checkMountFlags(['ro', 'rw'], 'bind')).toEqual({ options: [], readonly: true });
  });

  it('should refuse unknown options and bad values', () => {
    expect(refusal(['nosuchoption'])).toBe('mount option "nosuchoption" is not a known glusterfs mount option');
    expect(refusal(['log-level=LOUD'])).toContain('not a known glusterfs mount option value');
    expect(refusal(['entry-timeout=1;reboot'])).toContain('entry-timeout=1;reboot');
    expect(refusal(['attribute-timeout='])).toContain('attribute-timeout=');
    expect(refusal([''])).toBe('mount option "" is not a known glusterfs mount option');
    expect(refusal(['noatime,'])).toContain('""');
  });

  it('should refuse options that would change what is mounted or write on the node, saying why', () => {
    expect(refusal(['log-file=/etc/passwd'])).toContain('writes a file on the node');
    expect(refusal(['backup-volfile-servers=evil'])).toContain('volume_context.glusterServers');
    expect(refusal(['subdir-mount=/other'])).toContain('volume_context.path');
    expect(refusal(['xlator-option=a.b=c'])).toContain('is not allowed');
    expect(refusal(['auto_unmount'])).toContain('empty directory');
  });

  it('should allow only kernel flags on a bind mount', () => {
    expect(checkMountFlags(['nosuid', 'nodev', 'noexec', 'noatime'], 'bind').options).toEqual([
      'nosuid',
      'nodev',
      'noexec',
      'noatime',
    ]);
    expect(refusal(['acl'], 'bind')).toBe('mount option "acl" is not a known bind mount option');
    expect(refusal(['log-level=ERROR'], 'bind')).toContain('not a known bind mount option');
  });

  it('should cut an oversized option in its message', () => {
    expect(refusal(['x'.repeat(5000)]).length).toBeLessThan(200);
  });
});
