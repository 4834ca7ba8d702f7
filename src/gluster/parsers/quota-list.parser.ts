import { child, list, parseCliOutput, text, toInt } from './cli-output.parser.js';

export interface QuotaLimit {
  /** Relative to the volume root, with a leading '/'. */
  path: string;
  hardLimitBytes: number;
  usedBytes: number;
  availBytes: number;
  softLimitExceeded: boolean;
  hardLimitExceeded: boolean;
}

const LIMIT = 'cliOutput.volQuota.limit';

/**
 * `gluster volume quota <vol> list [<path>] --xml`. Asking for a directory without a limit gives a
 * row whose hard_limit is 'N/A'; such rows are not limits and are left out. gluster's
 * "No quota configured" answer has no rows, so it parses as [] too.
 */
export function parseQuotaList(xml: string): QuotaLimit[] {
  return list(child(parseCliOutput(xml, [LIMIT]).volQuota, 'limit')).flatMap((limit) => {
    const hardLimitBytes = toInt(limit.hard_limit);
    if (hardLimitBytes === undefined) {
      return [];
    }
    return [
      {
        availBytes: toInt(limit.avail_space) ?? 0,
        hardLimitBytes,
        hardLimitExceeded: text(limit.hl_exceeded) === 'Yes',
        path: text(limit.path),
        softLimitExceeded: text(limit.sl_exceeded) === 'Yes',
        usedBytes: toInt(limit.used_space) ?? 0,
      },
    ];
  });
}
