import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseQuotaList } from './quota-list.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/gluster/${name}.xml`, import.meta.url), 'utf8');

describe(parseQuotaList.name, () => {
  it('should parse a single limit', () => {
    expect(parseQuotaList(fixture('quota-list-one'))).toEqual([
      {
        availBytes: 10485760,
        hardLimitBytes: 10485760,
        hardLimitExceeded: false,
        path: '/a',
        softLimitExceeded: false,
        usedBytes: 0,
      },
    ]);
  });

  it('should parse several limits with used space', () => {
    expect(parseQuotaList(fixture('quota-list-several'))).toEqual([
      {
        availBytes: 7340032,
        hardLimitBytes: 10485760,
        hardLimitExceeded: false,
        path: '/a',
        softLimitExceeded: false,
        usedBytes: 3145728,
      },
      {
        availBytes: 1073741824,
        hardLimitBytes: 1073741824,
        hardLimitExceeded: false,
        path: '/b',
        softLimitExceeded: false,
        usedBytes: 0,
      },
      {
        availBytes: 5368709120,
        hardLimitBytes: 5368709120,
        hardLimitExceeded: false,
        path: '/c',
        softLimitExceeded: false,
        usedBytes: 0,
      },
    ]);
  });

  it('should read the soft- and hard-limit flags', () => {
    const limits = parseQuotaList(fixture('quota-list-exceeded'));
    expect(limits.find((limit) => limit.path === '/full')).toMatchObject({
      availBytes: 0,
      hardLimitExceeded: true,
      softLimitExceeded: true,
    });
    expect(limits.find((limit) => limit.path === '/soft')).toMatchObject({
      hardLimitExceeded: false,
      softLimitExceeded: true,
    });
  });

  it('should parse the answer for one path', () => {
    expect(parseQuotaList(fixture('quota-list-path'))).toMatchObject([
      { hardLimitBytes: 10485760, path: '/a', usedBytes: 3145728 },
    ]);
  });

  it('should return [] for a directory without a limit, whose hard_limit is N/A', () => {
    expect(parseQuotaList(fixture('quota-list-path-no-limit'))).toEqual([]);
  });

  it('should return [] for an empty list, a missing directory and "No quota configured"', () => {
    expect(parseQuotaList(fixture('quota-list-path-missing'))).toEqual([]);
    expect(parseQuotaList(fixture('quota-list-empty'))).toEqual([]);
    expect(parseQuotaList(fixture('quota-list-all-removed'))).toEqual([]);
  });
});
