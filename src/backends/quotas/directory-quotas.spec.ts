import { describe, expect, it } from 'vitest';
import { GIB } from '../backend.types.js';
import { type DirectorySpace, type QuotaSources, readDirectoryQuotas } from './directory-quotas.js';
import type { QuotaLimit } from '../../gluster/gluster.types.js';

const WHOLE = 250 * GIB;
const MIB = 1024 ** 2;

function limit(path: string, hardLimitBytes: number, usedBytes: number, softLimitExceeded = false): QuotaLimit {
  return {
    availBytes: Math.max(hardLimitBytes - usedBytes, 0),
    hardLimitBytes,
    hardLimitExceeded: usedBytes >= hardLimitBytes,
    path,
    softLimitExceeded,
    usedBytes,
  };
}

/** statfs answers from `spaces` (a missing key: ENOENT); `quota list` from `listed`, each call recorded. */
function sources(
  spaces: Record<string, DirectorySpace>,
  listed: QuotaLimit[] = [],
): QuotaSources & { listCalls: string[][]; statfsCalls: string[] } {
  const listCalls: string[][] = [];
  const statfsCalls: string[] = [];
  return {
    list: async (paths) => {
      listCalls.push(paths);
      return listed.filter((candidate) => paths.includes(candidate.path));
    },
    listCalls,
    softLimitPercent: 80,
    space: async (directory) => {
      statfsCalls.push(directory);
      return (
        spaces[directory] ??
        Promise.reject(
          Object.assign(new Error(`ENOENT: no such file or directory, statfs '${directory}'`), { code: 'ENOENT' }),
        )
      );
    },
    statfsCalls,
    wholeVolumeBytes: WHOLE,
  };
}

describe(readDirectoryQuotas.name, () => {
  it('should read limit and usage of limited directories by statfs alone', async () => {
    const sut = sources({ a: { sizeBytes: GIB, usedBytes: 7 * MIB }, b: { sizeBytes: 2 * GIB, usedBytes: 0 } });

    expect(await readDirectoryQuotas(['a', 'b'], sut, true)).toEqual(
      new Map([
        ['a', { limitBytes: GIB, softLimitExceeded: false, usedBytes: 7 * MIB }],
        ['b', { limitBytes: 2 * GIB, softLimitExceeded: false, usedBytes: 0 }],
      ]),
    );
    expect(sut.statfsCalls).toEqual(['a', 'b']);
    expect(sut.listCalls).toEqual([]);
  });

  it("should flag usage above the volume's soft limit", async () => {
    const sut = {
      ...sources({
        at: { sizeBytes: 100 * MIB, usedBytes: 70 * MIB },
        past: { sizeBytes: 100 * MIB, usedBytes: 71 * MIB },
      }),
      softLimitPercent: 70,
    };

    const quotas = await readDirectoryQuotas(['at', 'past'], sut, true);

    expect(quotas.get('at')?.softLimitExceeded).toBe(false);
    expect(quotas.get('past')?.softLimitExceeded).toBe(true);
  });

  it('should ask quota list, in one call, about the directories that show the whole volume', async () => {
    const sut = sources(
      {
        bare: { sizeBytes: WHOLE, usedBytes: 40 * GIB },
        limited: { sizeBytes: GIB, usedBytes: 0 },
        unseen: { sizeBytes: WHOLE, usedBytes: 40 * GIB },
      },
      // deem-statfs off shows a limited directory as the whole volume too; quota list still knows its limit.
      [limit('/unseen', 3 * GIB, 5 * MIB)],
    );

    expect(await readDirectoryQuotas(['bare', 'limited', 'unseen'], sut, true)).toEqual(
      new Map([
        ['limited', { limitBytes: GIB, softLimitExceeded: false, usedBytes: 0 }],
        ['unseen', { limitBytes: 3 * GIB, softLimitExceeded: false, usedBytes: 5 * MIB }],
      ]),
    );
    expect(sut.listCalls).toEqual([['/bare', '/unseen']]);
  });

  it('should take the usage of a directory at its limit from quota list, as statfs stops counting there', async () => {
    const sut = sources({ full: { sizeBytes: 10 * MIB, usedBytes: 10 * MIB } }, [
      limit('/full', 10 * MIB, 11 * MIB, true),
    ]);

    expect(await readDirectoryQuotas(['full'], sut, true)).toEqual(
      new Map([['full', { limitBytes: 10 * MIB, softLimitExceeded: true, usedBytes: 11 * MIB }]]),
    );
    expect(sut.listCalls).toEqual([['/full']]);
  });

  it('should take the limit of a directory at its limit from statfs when only limits are wanted', async () => {
    const sut = sources({
      bare: { sizeBytes: WHOLE, usedBytes: 0 },
      full: { sizeBytes: 10 * MIB, usedBytes: 10 * MIB },
    });

    expect(
      [...(await readDirectoryQuotas(['full', 'bare'], sut, false))].map(([directory, quota]) => [
        directory,
        quota.limitBytes,
      ]),
    ).toEqual([['full', 10 * MIB]]);
    expect(sut.listCalls).toEqual([['/bare']]);
  });

  it('should leave out directories that are gone, without asking quota list', async () => {
    const sut = sources({ a: { sizeBytes: GIB, usedBytes: 0 } });

    expect([...(await readDirectoryQuotas(['gone', 'a'], sut, true)).keys()]).toEqual(['a']);
    expect(sut.listCalls).toEqual([]);
  });

  it('should read at most 32 directories at a time', async () => {
    const directories = Array.from({ length: 70 }, (_, index) => `d${index}`);
    let inFlight = 0;
    let most = 0;
    const sut: QuotaSources = {
      ...sources({}),
      space: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return { sizeBytes: GIB, usedBytes: 0 };
      },
    };

    expect((await readDirectoryQuotas(directories, sut, true)).size).toBe(70);
    expect(most).toBe(32);
  });

  it('should fail when statfs fails for another reason than a missing directory', async () => {
    const sut: QuotaSources = {
      ...sources({}),
      space: () =>
        Promise.reject(Object.assign(new Error('Transport endpoint is not connected'), { code: 'ENOTCONN' })),
    };

    await expect(readDirectoryQuotas(['a'], sut, true)).rejects.toThrow('Transport endpoint is not connected');
  });
});
