import { describe, expect, it } from 'vitest';
import { GlusterCommandError } from './gluster-command.error.js';

const VOL = 'pfx_1796015800';
const LOCK_TEXT = 'Another transaction is in progress for pfx_1796015800. Please try again after some time.';

describe(GlusterCommandError.name, () => {
  it("should drop gluster's helper mount paths from the public message", () => {
    const error = new GlusterCommandError({
      args: [],
      cliResult: {
        opErrno: 30800,
        opErrstr: `removexattr failed on /var/run/gluster/${VOL}_quota_limit/nolimit. Reason : No data available`,
        opRet: -1,
      },
      exitCode: 0,
      stderr: '',
      timedOut: false,
    });
    expect(error.publicMessage).toBe('removexattr failed on /nolimit. Reason : No data available');
  });

  it('should recognise lock contention in other words, from stderr too', () => {
    const failure = { args: [], exitCode: 1, timedOut: false };
    expect(
      new GlusterCommandError({
        ...failure,
        stderr: 'Locking failed on 10.0.0.3. Please check log file for details.',
      }).isLockContention,
    ).toBe(true);
    expect(
      new GlusterCommandError({ ...failure, stderr: `quota command failed : ${LOCK_TEXT}` }).isLockContention,
    ).toBe(true);
    expect(new GlusterCommandError({ ...failure, stderr: 'Volume does not exist' }).isLockContention).toBe(false);
  });

  it('should name its outcome for metrics', () => {
    const failure = { args: [], exitCode: 1, stderr: '', timedOut: false };
    expect(new GlusterCommandError(failure).outcome).toBe('failed');
    expect(new GlusterCommandError({ ...failure, stderr: LOCK_TEXT }).outcome).toBe('lock_contention');
    expect(new GlusterCommandError({ ...failure, exitCode: undefined, timedOut: true }).outcome).toBe('timeout');
  });
});
