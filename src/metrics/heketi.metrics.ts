import { Gauge, Registry } from 'prom-client';
import type { ClusterTopology } from '../backends/backend.types.js';

const KIB = 1024;
const CLUSTER = ['cluster'] as const;
const HOST = ['cluster', 'hostname', 'storage_hostname'] as const;
const DEVICE = ['cluster', 'hostname', 'storage_hostname', 'id', 'device', 'pv_uuid'] as const;

/** What Heketi's gauges are computed from on one scrape. */
export interface HeketiView {
  clusters: ClusterTopology[];
  /** Operations running in this process right now. */
  inFlight: number;
  /** Visible (ready) volume ids per cluster; pending volumes are left out, as in Heketi. */
  volumeIds: ReadonlyMap<string, readonly string[]>;
}

/**
 * Heketi's own gauges (pkg/metrics/metrics.go), with its names, help texts and label sets, so
 * existing dashboards and alerts keep working. `heketi_up` lives in the main registry; everything
 * else in `topology`, which is left out of the exposition when the topology cannot be read, as
 * Heketi emits nothing but `heketi_up 0` then.
 */
export class HeketiMetrics {
  private readonly up: Gauge;
  private readonly clusterCount: Gauge;
  private readonly volumesCount: Gauge<(typeof CLUSTER)[number]>;
  private readonly blockVolumesCount: Gauge<(typeof CLUSTER)[number]>;
  private readonly nodesCount: Gauge<(typeof CLUSTER)[number]>;
  private readonly deviceCount: Gauge<(typeof HOST)[number]>;
  private readonly device: Record<
    'size' | 'free' | 'used' | 'sizeBytes' | 'freeBytes' | 'usedBytes' | 'bricks',
    Gauge<(typeof DEVICE)[number]>
  >;
  private readonly operations: Record<'stale' | 'failed' | 'new' | 'total' | 'inFlight', Gauge>;

  constructor(main: Registry, topology: Registry) {
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Gauge<L>({ help, labelNames, name: `heketi_${name}`, registers: [topology] });
    this.up = new Gauge({ help: 'Is heketi running?', name: 'heketi_up', registers: [main] });
    this.clusterCount = gauge('cluster_count', 'Number of clusters');
    this.volumesCount = gauge('volumes_count', 'Number of volumes on cluster', CLUSTER);
    this.blockVolumesCount = gauge('block_volumes_count', 'Number of block volumes on cluster', CLUSTER);
    this.nodesCount = gauge('nodes_count', 'Number of nodes on cluster', CLUSTER);
    this.deviceCount = gauge('device_count', 'Number of devices on host', HOST);
    this.device = {
      bricks: gauge('device_brick_count', 'Number of bricks on device', DEVICE),
      free: gauge('device_free', 'Amount of Free space available on the device', DEVICE),
      freeBytes: gauge('device_free_bytes', 'Amount of Free space available on the device in bytes', DEVICE),
      size: gauge('device_size', 'Total size of the device', DEVICE),
      sizeBytes: gauge('device_size_bytes', 'Total size of the device in bytes', DEVICE),
      used: gauge('device_used', 'Amount of space used on the device', DEVICE),
      usedBytes: gauge('device_used_bytes', 'Amount of space used on the device in bytes', DEVICE),
    };
    this.operations = {
      failed: gauge('operations_failed_count', 'Number of Failed Operations'),
      // Heketi's own spelling, mixed case and all.
      inFlight: gauge('operations_inFlight_count', 'Number of in flight Operations'),
      new: gauge('operations_new_count', 'Number of New Operations'),
      stale: gauge('operations_stale_count', 'Number of Stale Operations'),
      total: gauge('operations_total_count', 'Total Number of Operations'),
    };
  }

  /** The topology could not be read: only `heketi_up 0` is shown. */
  down(): void {
    this.up.set(0);
  }

  update(view: HeketiView): void {
    this.up.set(1);
    for (const gauge of [
      this.volumesCount,
      this.blockVolumesCount,
      this.nodesCount,
      this.deviceCount,
      ...Object.values(this.device),
    ]) {
      gauge.reset();
    }
    this.clusterCount.set(view.clusters.length);
    // Operations are recorded on the backend only while they run, and a dead instance's ones are
    // finished or rolled back by the reconciler: none is stale or failed in Heketi's sense.
    this.operations.failed.set(0);
    this.operations.stale.set(0);
    for (const gauge of [this.operations.inFlight, this.operations.new, this.operations.total]) {
      gauge.set(view.inFlight);
    }
    for (const cluster of view.clusters) {
      this.volumesCount.set({ cluster: cluster.id }, view.volumeIds.get(cluster.id)?.length ?? 0);
      this.blockVolumesCount.set({ cluster: cluster.id }, 0);
      this.nodesCount.set({ cluster: cluster.id }, cluster.nodes.length);
      for (const node of cluster.nodes) {
        const host = { cluster: cluster.id, hostname: node.manageHostname, storage_hostname: node.storageAddress };
        this.deviceCount.set(host, node.devices.length);
        for (const device of node.devices) {
          // A device is a brick of the Gluster volume; volumes are directories, so it holds no Heketi bricks.
          // Heketi's label order; devices have no LVM physical volume here.
          const labels = { ...host, id: device.id, device: device.name, pv_uuid: '' };
          this.device.size.set(labels, device.totalKiB);
          this.device.free.set(labels, device.freeKiB);
          this.device.used.set(labels, device.usedKiB);
          this.device.sizeBytes.set(labels, device.totalKiB * KIB);
          this.device.freeBytes.set(labels, device.freeKiB * KIB);
          this.device.usedBytes.set(labels, device.usedKiB * KIB);
          this.device.bricks.set(labels, 0);
        }
      }
    }
  }
}
