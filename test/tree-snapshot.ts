import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every path below `root` with its type, mode, owner and (for files) content: equal snapshots, unchanged tree. */
export function treeSnapshot(root: string): string[] {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const content = stat.isFile() ? readFileSync(path, 'utf8') : '';
      lines.push(`${relative(root, path)} ${stat.mode.toString(8)} ${stat.uid}:${stat.gid} ${content}`);
      if (stat.isDirectory()) {
        walk(path);
      }
    }
  };
  walk(root);
  return lines;
}
