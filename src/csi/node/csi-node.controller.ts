import { Controller, UseFilters } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { AppConfig } from '../../config/app-config.js';
import { CsiExceptionFilter } from '../csi-exception.filter.js';
import { CsiNodeError, type NodeErrorCode } from './csi-node.errors.js';
import { CsiNodeService } from './csi-node.service.js';
import { planPublish, type PublishRequest } from './node-request.rules.js';

/** csi.v1 messages as @grpc/proto-loader hands them over (keepCase, enums as names, defaults on). */
interface NodePublishVolumeRequest {
  readonly: boolean;
  target_path: string;
  volume_capability: {
    access_mode: { mode: string } | null;
    block?: object | null;
    mount?: { fs_type: string; mount_flags: string[] } | null;
  } | null;
  volume_context: Record<string, string>;
  volume_id: string;
}

interface NodeUnpublishVolumeRequest {
  target_path: string;
  volume_id: string;
}

interface NodeGetVolumeStatsRequest {
  volume_id: string;
  volume_path: string;
}

const GRPC_STATUS: Record<NodeErrorCode, status> = {
  aborted: status.ABORTED,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  internal: status.INTERNAL,
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  unavailable: status.UNAVAILABLE,
};

/** CsiNodeError → the gRPC status it names; anything else is left to the CSI exception filter. */
async function answering<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CsiNodeError) {
      throw new RpcException({ code: GRPC_STATUS[error.code], message: error.message });
    }
    throw error;
  }
}

function toPublishRequest(request: NodePublishVolumeRequest): PublishRequest {
  const capability = request.volume_capability;
  return {
    capability: capability && {
      accessMode: { mode: capability.access_mode?.mode },
      block: capability.block,
      mount: capability.mount && { fsType: capability.mount.fs_type, mountFlags: capability.mount.mount_flags },
    },
    readonly: request.readonly,
    targetPath: request.target_path,
    volumeContext: request.volume_context,
    volumeId: request.volume_id,
  };
}

const unimplemented = (what: string) =>
  new RpcException({ code: status.UNIMPLEMENTED, message: `${what}: piragua's node plugin does not offer it` });

/** csi.v1.Node: publishes a volume's directory with a real mount; never calls the piragua API. */
@Controller()
@UseFilters(CsiExceptionFilter)
export class CsiNodeController {
  constructor(
    private readonly config: AppConfig,
    private readonly node: CsiNodeService,
  ) {}

  @GrpcMethod('Node', 'NodeGetCapabilities')
  nodeGetCapabilities(): object {
    return { capabilities: ['GET_VOLUME_STATS', 'VOLUME_CONDITION'].map((type) => ({ rpc: { type } })) };
  }

  @GrpcMethod('Node', 'NodeGetInfo')
  nodeGetInfo(): object {
    return { max_volumes_per_node: '0', node_id: this.config.csi.nodeId };
  }

  @GrpcMethod('Node', 'NodePublishVolume')
  nodePublishVolume(request: NodePublishVolumeRequest): Promise<object> {
    return answering(async () => {
      await this.node.publish(planPublish(toPublishRequest(request)));
      return {};
    });
  }

  @GrpcMethod('Node', 'NodeUnpublishVolume')
  nodeUnpublishVolume(request: NodeUnpublishVolumeRequest): Promise<object> {
    return answering(async () => {
      await this.node.unpublish(request.volume_id, request.target_path);
      return {};
    });
  }

  @GrpcMethod('Node', 'NodeGetVolumeStats')
  nodeGetVolumeStats(request: NodeGetVolumeStatsRequest): Promise<object> {
    return answering(async () => {
      const stats = await this.node.stats(request.volume_id, request.volume_path);
      return {
        usage: stats.usage.map((usage) => ({
          available: String(usage.available),
          total: String(usage.total),
          unit: usage.unit,
          used: String(usage.used),
        })),
        volume_condition: stats.condition,
      };
    });
  }

  @GrpcMethod('Node', 'NodeStageVolume')
  nodeStageVolume(): never {
    throw unimplemented('NodeStageVolume (no STAGE_UNSTAGE_VOLUME capability)');
  }

  @GrpcMethod('Node', 'NodeUnstageVolume')
  nodeUnstageVolume(): never {
    throw unimplemented('NodeUnstageVolume (no STAGE_UNSTAGE_VOLUME capability)');
  }

  @GrpcMethod('Node', 'NodeExpandVolume')
  nodeExpandVolume(): never {
    throw unimplemented(
      'NodeExpandVolume (expansion raises the quota on the controller, node_expansion_required is false)',
    );
  }
}
