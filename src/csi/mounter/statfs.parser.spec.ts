import { describe, expect, it } from 'vitest';
import { parseStatfs, statfsFailure } from './statfs.parser.js';

describe('parseStatfs', () => {
  it('should read a 10 MiB Gluster quota as the total (quota-deem-statfs)', () => {
    expect(parseStatfs('65735546 4096 2560 2048 2047 16777216 16303943\n')).toEqual({
      availableBytes: 2048 * 4096,
      freeInodes: 16303943,
      fsType: 0x65735546,
      totalBytes: 10 * 1024 * 1024,
      totalInodes: 16777216,
      usedBytes: 513 * 4096,
    });
  });

  it('should refuse output that is not seven numbers', () => {
    expect(parseStatfs('')).toBeUndefined();
    expect(parseStatfs('65735546 4096 2560 2048 2047 16777216')).toBeUndefined();
    expect(parseStatfs('zz 4096 2560 2048 2047 16777216 1')).toBeUndefined();
    expect(parseStatfs('ef53 4096 -1 2048 2047 16777216 1')).toBeUndefined();
  });
});

describe('statfsFailure', () => {
  it('should call a disconnected FUSE mount dead, with its errno', () => {
    expect(
      statfsFailure("stat: cannot read file system information for '/t': Transport endpoint is not connected\n"),
    ).toEqual({
      errno: 'ENOTCONN',
      message: "cannot read file system information for '/t': Transport endpoint is not connected",
      state: 'dead',
    });
    expect(statfsFailure("stat: cannot read file system information for '/t': Stale file handle")).toMatchObject({
      errno: 'ESTALE',
      state: 'dead',
    });
  });

  it('should call other errors failures, not a dead mount', () => {
    expect(statfsFailure("stat: cannot read file system information for '/t': No such file or directory")).toEqual({
      message: "cannot read file system information for '/t': No such file or directory",
      state: 'failed',
    });
    expect(statfsFailure('')).toEqual({ message: 'stat failed without a message', state: 'failed' });
  });
});
