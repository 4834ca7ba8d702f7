import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest directory above this module holding proto/csi.proto (src/, dist/ and dist-bench/ alike). */
function projectRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'proto', 'csi.proto'))) {
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error('proto/csi.proto not found above the piragua modules; it ships beside package.json');
    }
    directory = parent;
  }
  return directory;
}

const ROOT = projectRoot();

/** piragua's own csi.v1 proto. */
export const CSI_PROTO_PATH = join(ROOT, 'proto', 'csi.proto');

/** GetPluginInfo's vendor_version: the version in package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}
