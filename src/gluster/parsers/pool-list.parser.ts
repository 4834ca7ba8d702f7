import { child, list, parseCliOutput, text } from './cli-output.parser.js';

export interface PoolPeer {
  uuid: string;
  /** The address the peer was probed with; the local node calls itself 'localhost'. */
  hostname: string;
  connected: boolean;
}

const PEER = 'cliOutput.peerStatus.peer';

/** `gluster pool list --xml` (also reads `peer status --xml`, which leaves out the local node). */
export function parsePoolList(xml: string): PoolPeer[] {
  return list(child(parseCliOutput(xml, [PEER]).peerStatus, 'peer')).map((peer) => ({
    connected: text(peer.connected) === '1',
    hostname: text(peer.hostname),
    uuid: text(peer.uuid),
  }));
}
