/** One sample line of the Prometheus text format (0.0.4). */
export interface Sample {
  labels: Record<string, string>;
  name: string;
  value: number;
}

/** A parsed `/metrics` answer: every sample, and each family's declared type and help. */
export interface ParsedMetrics {
  help: Map<string, string>;
  samples: Sample[];
  types: Map<string, string>;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const META = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_count', '_sum'], summary: ['_count', '_sum'] };

/** As Prometheus reads values (Go's ParseFloat): Inf and NaN in any case, which prom-client relies on ('Nan'). */
function parseValue(text: string, line: string): number {
  if (/^nan$/i.test(text)) {
    return Number.NaN;
  }
  if (/^[+-]?inf(inity)?$/i.test(text)) {
    return text.startsWith('-') ? -Infinity : Infinity;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new Error(`not a sample value: ${line}`);
  }
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
  let rest = text;
  while (rest.length > 0) {
    const match = pair.exec(rest);
    if (!match || match[1] in labels) {
      throw new Error(`bad labels: ${line}`);
    }
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

/** The family a sample belongs to: itself, or a histogram's/summary's name without its suffix. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) {
    return name;
  }
  for (const [family, type] of types) {
    if ((SUFFIXES[type] ?? []).some((suffix) => name === `${family}${suffix}`)) {
      return family;
    }
  }
  return undefined;
}

/**
 * A strict parser of the text exposition format: it throws on any line that is not a comment, a
 * HELP/TYPE line or a well-formed sample, on a family typed twice or typed after its samples, and
 * on a sample whose family was never typed (prom-client always types them).
 */
export function parsePrometheusText(text: string): ParsedMetrics {
  const parsed: ParsedMetrics = { help: new Map(), samples: [], types: new Map() };
  const sampled = new Set<string>();
  if (!text.endsWith('\n')) {
    throw new Error('the exposition must end with a newline');
  }
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') {
      continue;
    }
    const meta = META.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (kind === 'TYPE' && (!TYPES.has(rest) || parsed.types.has(name) || sampled.has(name))) {
        throw new Error(`bad TYPE line: ${line}`);
      }
      (kind === 'TYPE' ? parsed.types : parsed.help).set(name, rest);
      continue;
    }
    if (line.startsWith('#')) {
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) {
      throw new Error(`not a sample line: ${line}`);
    }
    const family = familyOf(sample[1], parsed.types);
    if (family === undefined) {
      throw new Error(`sample of an untyped family: ${line}`);
    }
    sampled.add(family);
    parsed.samples.push({
      labels: parseLabels(sample[2] ?? '', line),
      name: sample[1],
      value: parseValue(sample[3], line),
    });
  }
  return parsed;
}

/** Every name a query may use: each family, and its `_bucket`/`_sum`/`_count` series where it has them. */
export function exposedNames(parsed: ParsedMetrics): Set<string> {
  const names = new Set<string>();
  for (const [family, type] of parsed.types) {
    names.add(family);
    for (const suffix of SUFFIXES[type] ?? []) {
      names.add(`${family}${suffix}`);
    }
  }
  return names;
}

/** Samples of `name` whose labels include `labels`. */
export function samplesOf(parsed: ParsedMetrics, name: string, labels: Record<string, string> = {}): Sample[] {
  return parsed.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The value of the one sample of `name` with these labels (among others); undefined when there is none. */
export function valueOf(parsed: ParsedMetrics, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samplesOf(parsed, name, labels);
  if (found.length > 1) {
    throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  }
  return found[0]?.value;
}
