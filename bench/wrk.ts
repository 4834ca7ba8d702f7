import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface WrkResult {
  errors: number;
  'p50 ms': number;
  'p99 ms': number;
  requests: number;
  'requests/s': number;
}

function milliseconds(value: string, unit: string): number {
  return Number(value) * ({ ms: 1, s: 1000, us: 0.001 }[unit] ?? NaN);
}

/** Parses `wrk --latency` output; non-2xx/3xx answers and socket errors both count as errors. */
export function parseWrk(output: string): WrkResult {
  const latency = (label: string) => {
    const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    return match ? Number(milliseconds(match[1], match[2]).toFixed(2)) : NaN;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    errors:
      Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0) +
      (socketErrors ? socketErrors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0),
    'p50 ms': latency('50'),
    'p99 ms': latency('99'),
    requests: Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN),
    'requests/s': Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN)),
  };
}

/** `wrk` (Debian's package) with one reusable token: Heketi tokens are bound to a method and path, not to a request. */
export async function wrk(
  url: string,
  token: string,
  options: { connections: number; seconds: number; threads: number },
): Promise<WrkResult> {
  const { stdout } = await promisify(execFile)('wrk', [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    '-H',
    `Authorization: bearer ${token}`,
    url,
  ]);
  return parseWrk(stdout);
}
