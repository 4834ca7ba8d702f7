import { XMLParser } from 'fast-xml-parser';

/** The envelope of every `gluster --xml` answer. `opRet` 0 means success, whatever the exit code says. */
export interface CliResult {
  opRet: number;
  opErrno: number;
  opErrstr: string;
}

/** A parsed XML element: child elements by name, attributes as `@_name`, mixed text as `#text`. */
export type XmlNode = Record<string, unknown>;

/**
 * Parses gluster's XML and returns the `<cliOutput>` element. Every value stays a string (gluster
 * prints ids and sizes that must not be coerced blindly); elements whose dotted path is in
 * `arrayPaths` always come back as arrays, so one brick and three bricks read the same way.
 */
export function parseCliOutput(xml: string, arrayPaths: readonly string[] = []): XmlNode {
  const arrays = new Set(arrayPaths);
  const parser = new XMLParser({
    ignoreAttributes: false,
    isArray: (_name, jPath) => arrays.has(String(jPath)),
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
  });
  const document = parser.parse(xml) as XmlNode;
  const root = document.cliOutput;
  if (root === undefined || root === null || typeof root !== 'object') {
    throw new Error('not gluster XML output: no <cliOutput> element');
  }
  return root as XmlNode;
}

export function parseCliResult(xml: string): CliResult {
  const root = parseCliOutput(xml);
  return {
    opErrno: toInt(root.opErrno) ?? 0,
    opErrstr: text(root.opErrstr),
    opRet: toInt(root.opRet) ?? -1,
  };
}

/** Text content of a leaf element; an empty element (`<opErrstr/>`) parses as ''. */
export function text(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value === 'object') {
    return text((value as XmlNode)['#text']);
  }
  return (typeof value === 'string' ? value : JSON.stringify(value)).trim();
}

/** An integer leaf, or undefined for gluster's `N/A` and anything else that is not a number. */
export function toInt(value: unknown): number | undefined {
  const raw = text(value);
  return /^-?\d+$/.test(raw) ? Number(raw) : undefined;
}

/** The elements of an optional list; an absent or empty container (`<peerStatus/>`) is []. */
export function list(value: unknown): XmlNode[] {
  if (Array.isArray(value)) {
    return value.filter((item): item is XmlNode => typeof item === 'object' && item !== null);
  }
  return typeof value === 'object' && value !== null ? [value as XmlNode] : [];
}

/** A child element of an optional container element. */
export function child(node: unknown, name: string): unknown {
  return typeof node === 'object' && node !== null ? (node as XmlNode)[name] : undefined;
}
