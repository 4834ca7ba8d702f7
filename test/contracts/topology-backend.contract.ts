import { isIP } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/common/piragua.error.js';
import type { TopologyBackend } from '../../src/backends/topology/topology.port.js';

export interface TopologySubject {
  topology: TopologyBackend;
  /** The Gluster volume (or local volume directory) it was configured to serve. */
  volumeName: string;
  /** Another instance started on the same storage (cleanup stops it too). */
  restart(): Promise<TopologyBackend>;
  cleanup(): Promise<void>;
}

const UNKNOWN_CLUSTER = 'ffffffffffffffffffffffffffffffff';

/** What every TopologyBackend must do; `setup` is called before each case and gives a started one. */
export function describeTopologyContract(name: string, setup: () => Promise<TopologySubject>): void {
  describe(`${name} keeps the TopologyBackend contract`, () => {
    let subject: TopologySubject;
    let sut: TopologyBackend;

    beforeEach(async () => {
      subject = await setup();
      sut = subject.topology;
    });

    afterEach(async () => {
      await subject?.cleanup();
    });

    it('should serve the configured volume as one cluster with a 32-hex id, nodes with IP addresses and a capacity', () => {
      const clusters = sut.clusters();

      expect(clusters).toHaveLength(1);
      expect(clusters[0]).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        volumeName: subject.volumeName,
      });
      expect(clusters[0].capacityBytes).toBeGreaterThan(0);
      expect(clusters[0].nodes.length).toBeGreaterThan(0);
      for (const node of clusters[0].nodes) {
        expect(isIP(node.storageAddress), node.storageAddress).not.toBe(0);
      }
    });

    it('should keep the cluster id when it starts again on the same storage', async () => {
      const again = await subject.restart();

      expect(again.clusters().map((cluster) => cluster.id)).toEqual([sut.clusters()[0].id]);
    });

    it('should place volumes on its healthy cluster, under a root of its own', () => {
      const { id } = sut.clusters()[0];

      expect(() => sut.assertCanProvision(id)).not.toThrow();
      expect(sut.volumeRoot(id)).toEqual(expect.any(String));
    });

    it('should answer Cluster id … not found for the root of an unknown cluster', () => {
      expect(() => sut.volumeRoot(UNKNOWN_CLUSTER)).toThrow(
        expect.objectContaining({
          code: ErrorCode.NotFound,
          message: `Cluster id ${UNKNOWN_CLUSTER} not found`,
          name: 'PiraguaError',
        }),
      );
    });

    it('should answer ok from every probe it names', async () => {
      const names = sut.probeNames();

      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        expect(await sut.probe(name), name).toMatchObject({ ok: true });
      }
    });
  });
}
