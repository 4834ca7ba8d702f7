/**
 * csi.v1 messages as @grpc/proto-loader hands them over and takes them back (csi-grpc.options.ts:
 * keepCase, int64 as decimal strings, enums by name, defaults on: a missing string is '', a
 * missing message null, a missing map {}).
 */

export type Int64 = string;

/** VolumeCapability.AccessMode.Mode by number, as the spec numbers them (0 is UNKNOWN). */
export const ACCESS_MODES = [
  'UNKNOWN',
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'MULTI_NODE_READER_ONLY',
  'MULTI_NODE_SINGLE_WRITER',
  'MULTI_NODE_MULTI_WRITER',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
] as const;
export type StringMap = Record<string, string>;

export interface CapacityRange {
  limit_bytes: Int64;
  required_bytes: Int64;
}

export interface VolumeCapability {
  access_mode: { mode: string } | null;
  /** Which of the oneof `access_type` is set. */
  access_type?: 'block' | 'mount';
  block?: object | null;
  mount?: { fs_type: string; mount_flags: string[]; volume_mount_group: string } | null;
}

export interface Volume {
  capacity_bytes: Int64;
  volume_context: StringMap;
  volume_id: string;
}

export interface CreateVolumeRequest {
  capacity_range: CapacityRange | null;
  name: string;
  parameters: StringMap;
  secrets: StringMap;
  volume_capabilities: VolumeCapability[];
  volume_content_source: object | null;
}

export interface DeleteVolumeRequest {
  secrets: StringMap;
  volume_id: string;
}

export interface ValidateVolumeCapabilitiesRequest {
  parameters: StringMap;
  secrets: StringMap;
  volume_capabilities: VolumeCapability[];
  volume_context: StringMap;
  volume_id: string;
}

export interface ListVolumesRequest {
  max_entries: number;
  starting_token: string;
}

export interface GetCapacityRequest {
  parameters: StringMap;
  volume_capabilities: VolumeCapability[];
}

export interface ControllerExpandVolumeRequest {
  capacity_range: CapacityRange | null;
  secrets: StringMap;
  volume_capability: VolumeCapability | null;
  volume_id: string;
}

export interface ControllerGetVolumeRequest {
  volume_id: string;
}

export interface VolumeCondition {
  abnormal: boolean;
  message: string;
}
