import { child, list, parseCliOutput, text, toInt } from './cli-output.parser.js';

export interface BrickDetail {
  hostname: string;
  path: string;
  peerId: string;
  online: boolean;
  sizeTotalBytes: number;
  sizeFreeBytes: number;
}

const VOLUME = 'cliOutput.volStatus.volumes.volume';
const ARRAYS = [VOLUME, `${VOLUME}.node`];

/**
 * `gluster volume status <vol> detail --xml`: one entry per brick. An offline brick is still
 * listed (status 0, sizes read from its file system); non-brick entries such as the self-heal
 * daemon, whose path is not absolute, are left out. Unknown sizes read as 0.
 */
export function parseVolumeStatusDetail(xml: string): BrickDetail[] {
  const volumes = list(child(child(parseCliOutput(xml, ARRAYS).volStatus, 'volumes'), 'volume'));
  return volumes
    .flatMap((volume) => list(volume.node))
    .filter((node) => text(node.path).startsWith('/'))
    .map((node) => ({
      hostname: text(node.hostname),
      online: text(node.status) === '1',
      path: text(node.path),
      peerId: text(node.peerid),
      sizeFreeBytes: toInt(node.sizeFree) ?? 0,
      sizeTotalBytes: toInt(node.sizeTotal) ?? 0,
    }));
}
