import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePoolList } from './pool-list.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/gluster/${name}.xml`, import.meta.url), 'utf8');

describe(parsePoolList.name, () => {
  it('should parse the local node of a one-node pool', () => {
    expect(parsePoolList(fixture('pool-list'))).toEqual([
      { connected: true, hostname: 'localhost', uuid: '2b13153e-f3d1-49ef-9cff-744a14b58a2f' },
    ]);
  });

  it('should return [] for an empty peer list', () => {
    expect(parsePoolList(fixture('peer-status'))).toEqual([]);
  });

  it('should parse several peers and a disconnected one', () => {
    const xml = `<cliOutput><opRet>0</opRet><peerStatus>
      <peer><uuid>a</uuid><hostname>10.0.0.2</hostname><connected>0</connected></peer>
      <peer><uuid>b</uuid><hostname>localhost</hostname><connected>1</connected></peer>
    </peerStatus></cliOutput>`;
    expect(parsePoolList(xml)).toEqual([
      { connected: false, hostname: '10.0.0.2', uuid: 'a' },
      { connected: true, hostname: 'localhost', uuid: 'b' },
    ]);
  });
});
