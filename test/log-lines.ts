/** One pino line as piragua writes it with LOG_FORMAT=json. */
export interface LogLine {
  [field: string]: unknown;
  context?: string;
  level: number;
  msg?: string;
  reqId?: string;
  time: string;
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, error: 50, fatal: 60, info: 30, trace: 10, warn: 40 } as const;

/** Every complete, non-empty line of a JSON log; throws, naming the line, when one is not a JSON object. */
export function parseLogLines(logs: string): LogLine[] {
  // A line still being written (the process is running) is left for the next look.
  return logs
    .slice(0, logs.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`not a JSON log line: ${line.slice(0, 300)}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error(`not a JSON object: ${line.slice(0, 300)}`);
      }
      return parsed as LogLine;
    });
}

/** The request lines (one per HTTP request). */
export function requestLines(logs: string): LogLine[] {
  return parseLogLines(logs).filter((line) => line.context === 'HTTP');
}

/** The audit trail's lines. */
export function auditLines(logs: string): LogLine[] {
  return parseLogLines(logs).filter((line) => line.audit === true);
}
