import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// From src/csi (tests) and dist/csi (the build) alike, the project root is two levels up.
const ROOT = new URL('../../', import.meta.url);

/** piragua's own csi.v1 proto. */
export const CSI_PROTO_PATH = fileURLToPath(new URL('proto/csi.proto', ROOT));

/** GetPluginInfo's vendor_version: the version in package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string };
  return manifest.version;
}
