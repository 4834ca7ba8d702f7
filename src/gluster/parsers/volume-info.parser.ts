import { child, list, parseCliOutput, text } from './cli-output.parser.js';

export interface GlusterVolumeInfo {
  name: string;
  /** As gluster prints it, with dashes. */
  id: string;
  /** gluster's typeStr: 'Distribute', 'Replicate', 'Disperse', 'Distributed-Replicate'... */
  type: string;
  /** gluster's statusStr: 'Started', 'Stopped' or 'Created'. */
  status: string;
  bricks: { host: string; path: string; hostUuid: string }[];
  /** Options set on the volume (e.g. `{ 'features.quota': 'on' }`), not gluster's defaults. */
  options: Record<string, string>;
}

const VOLUME = 'cliOutput.volInfo.volumes.volume';
const ARRAYS = [VOLUME, `${VOLUME}.bricks.brick`, `${VOLUME}.options.option`];

/** `gluster volume info [<vol>] --xml`; a failed answer (missing volume) lists no volumes. */
export function parseVolumeInfo(xml: string): GlusterVolumeInfo[] {
  const volumes = child(child(parseCliOutput(xml, ARRAYS).volInfo, 'volumes'), 'volume');
  return list(volumes).map((volume) => ({
    bricks: list(child(volume.bricks, 'brick')).map((brick) => {
      // <brick uuid="…">host:/path<name>host:/path</name><hostUuid>…</hostUuid>…</brick>
      const { host, path } = splitBrick(text(brick.name) || text(brick['#text']));
      return { host, hostUuid: text(brick.hostUuid) || text(brick['@_uuid']), path };
    }),
    id: text(volume.id),
    name: text(volume.name),
    options: Object.fromEntries(
      list(child(volume.options, 'option')).map((option) => [text(option.name), text(option.value)]),
    ),
    status: text(volume.statusStr),
    type: text(volume.typeStr),
  }));
}

/** `host:/path`; the path always starts with '/', so the first ':/' separates them. */
function splitBrick(brick: string): { host: string; path: string } {
  const at = brick.indexOf(':/');
  return at < 0 ? { host: '', path: brick } : { host: brick.slice(0, at), path: brick.slice(at + 1) };
}
