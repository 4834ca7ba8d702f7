import type { MountEntry } from './mounter.js';

/** The kernel escapes space, tab, newline and backslash in mountinfo as three octal digits. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Parses /proc/self/mountinfo: `id parent major:minor root mount-point options [optional…] - fstype source super-options`.
 * Lines that do not have that shape are skipped.
 */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (fields.length < 10 || separator < 0 || separator + 2 >= fields.length) {
      continue;
    }
    entries.push({
      fstype: unescape(fields[separator + 1]!),
      mountPoint: unescape(fields[4]!),
      root: unescape(fields[3]!),
      source: unescape(fields[separator + 2]!),
    });
  }
  return entries;
}

/** The entry mounted last at `target`: the one a process sees there. */
export function topmostAt(entries: MountEntry[], target: string): MountEntry | undefined {
  return entries.findLast((entry) => entry.mountPoint === target);
}
