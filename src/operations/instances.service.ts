import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
import { AppConfig } from '../config/app-config.js';
import { TopologyBackend } from '../backends/topology/topology.port.js';
import { VolumeStateStore } from '../backends/state/volume-state.port.js';
import type { Heartbeat, OperationRecord } from '../backends/backend.types.js';

/**
 * Heartbeats of the piragua instances sharing the Gluster volumes. An operation is only taken
 * over (finished or rolled back) once the incarnation that started it is known to be gone: it
 * restarted, or it stopped beating for PIRAGUA_INSTANCE_TIMEOUT_SECONDS.
 */
@Injectable()
export class InstancesService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(InstancesService.name);
  private readonly startedAt = new Date().toISOString();
  /** The newest heartbeat read of each instance, by `<cluster>/<instance>`: a file caught while being replaced reads as missing. */
  private readonly newest = new Map<string, Heartbeat>();
  private timer?: PeriodicTask;

  constructor(
    private readonly config: AppConfig,
    private readonly topology: TopologyBackend,
    private readonly state: VolumeStateStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = new PeriodicTask(Math.max(1000, this.config.instanceTimeoutMs / 6), () => this.beat()).start();
  }

  onModuleDestroy(): void {
    this.timer?.stop();
  }

  /**
   * A test for "may its owner still be running this operation?", from one read of the cluster's
   * heartbeats. This incarnation's own operations are alive exactly while it runs them.
   */
  async liveness(
    clusterId: string,
    isRunningHere: (operationId: string) => boolean,
  ): Promise<(operation: OperationRecord) => boolean> {
    for (const heartbeat of await this.state.loadHeartbeats(clusterId)) {
      const key = `${clusterId}/${heartbeat.instanceId}`;
      const known = this.newest.get(key);
      if (!known || Date.parse(heartbeat.heartbeatAt) >= Date.parse(known.heartbeatAt)) {
        this.newest.set(key, heartbeat);
      }
    }
    const now = Date.now();
    return (operation) => {
      if (operation.state !== 'pending') {
        return false;
      }
      if (operation.owner === this.config.instanceId) {
        // Instance ids are unique among running instances: another incarnation of ours was an earlier run.
        return operation.incarnation === this.config.incarnation && isRunningHere(operation.id);
      }
      const heartbeat = this.newest.get(`${clusterId}/${operation.owner}`);
      return (
        heartbeat?.incarnation === operation.incarnation &&
        now - Date.parse(heartbeat.heartbeatAt) < this.config.instanceTimeoutMs
      );
    };
  }

  private async beat(): Promise<void> {
    const heartbeat: Heartbeat = {
      heartbeatAt: new Date().toISOString(),
      incarnation: this.config.incarnation,
      instanceId: this.config.instanceId,
      pid: process.pid,
      startedAt: this.startedAt,
    };
    for (const cluster of this.topology.clusters()) {
      try {
        await this.state.saveHeartbeat(cluster.id, heartbeat);
      } catch (error) {
        this.logger.warn(`Cannot write the heartbeat on ${cluster.volumeName}: ${(error as Error).message}`);
      }
    }
  }
}
