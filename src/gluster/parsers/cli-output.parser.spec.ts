import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCliOutput, parseCliResult } from './cli-output.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/gluster/${name}.xml`, import.meta.url), 'utf8');

describe(parseCliResult.name, () => {
  it('should read a success envelope with an empty opErrstr', () => {
    expect(parseCliResult(fixture('quota-limit-a'))).toEqual({ opErrno: 0, opErrstr: '', opRet: 0 });
  });

  it('should read the lock-contention failure that gluster reports with exit code 0', () => {
    expect(parseCliResult(fixture('quota-limit-lock-contention'))).toEqual({
      opErrno: 30802,
      opErrstr: 'Another transaction is in progress for pfx_1796015800. Please try again after some time.',
      opRet: -1,
    });
  });

  it('should read opRet -2 for a missing directory', () => {
    expect(parseCliResult(fixture('quota-limit-missing-dir'))).toEqual({
      opErrno: 30800,
      opErrstr: 'Failed to get trusted.gfid attribute on path /does-not-exist. Reason : No such file or directory',
      opRet: -2,
    });
  });

  it('should read the envelope of a read command that failed', () => {
    expect(parseCliResult(fixture('volume-info-missing'))).toEqual({
      opErrno: 30806,
      opErrstr: 'Volume does not exist',
      opRet: -1,
    });
    expect(parseCliResult(fixture('quota-list-disabled')).opErrstr).toBe('Quota is disabled, please enable quota');
  });

  it('should decode XML entities in opErrstr', () => {
    const xml =
      '<cliOutput><opRet>-1</opRet><opErrno>0</opErrno><opErrstr>a &quot;b&quot; &amp; c</opErrstr></cliOutput>';
    expect(parseCliResult(xml).opErrstr).toBe('a "b" & c');
  });

  it('should reject text that is not gluster XML', () => {
    expect(() => parseCliResult('volume quota : success')).toThrow(/no <cliOutput>/);
    expect(() => parseCliResult('')).toThrow(/no <cliOutput>/);
  });
});

describe(parseCliOutput.name, () => {
  it('should return an element as an array only when its path is listed', () => {
    const xml = '<cliOutput><a><b>1</b></a></cliOutput>';
    expect(parseCliOutput(xml)).toEqual({ a: { b: '1' } });
    expect(parseCliOutput(xml, ['cliOutput.a.b'])).toEqual({ a: { b: ['1'] } });
  });
});
