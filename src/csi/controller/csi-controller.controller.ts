import { Controller, UseFilters } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type {
  ControllerExpandVolumeRequest,
  ControllerGetVolumeRequest,
  CreateVolumeRequest,
  DeleteVolumeRequest,
  GetCapacityRequest,
  ListVolumesRequest,
  ValidateVolumeCapabilitiesRequest,
} from '../csi.types.js';
import { CsiControllerService } from './csi-controller.service.js';
import { CsiExceptionFilter } from '../csi-exception.filter.js';

/** What this controller serves; snapshots, clones and publish/unpublish are left out (gRPC answers UNIMPLEMENTED). */
const CAPABILITIES = ['CREATE_DELETE_VOLUME', 'EXPAND_VOLUME', 'LIST_VOLUMES', 'GET_CAPACITY', 'GET_VOLUME'];

/** csi.v1.Controller over gRPC; the rules live in CsiControllerService. */
@Controller()
@UseFilters(CsiExceptionFilter)
export class CsiControllerController {
  constructor(private readonly service: CsiControllerService) {}

  @GrpcMethod('Controller', 'ControllerGetCapabilities')
  getCapabilities(): { capabilities: { rpc: { type: string } }[] } {
    return { capabilities: CAPABILITIES.map((type) => ({ rpc: { type } })) };
  }

  @GrpcMethod('Controller', 'CreateVolume')
  createVolume(request: CreateVolumeRequest) {
    return this.service.createVolume(request);
  }

  @GrpcMethod('Controller', 'DeleteVolume')
  deleteVolume(request: DeleteVolumeRequest) {
    return this.service.deleteVolume(request);
  }

  @GrpcMethod('Controller', 'ValidateVolumeCapabilities')
  validateVolumeCapabilities(request: ValidateVolumeCapabilitiesRequest) {
    return this.service.validateVolumeCapabilities(request);
  }

  @GrpcMethod('Controller', 'ListVolumes')
  listVolumes(request: ListVolumesRequest) {
    return this.service.listVolumes(request);
  }

  @GrpcMethod('Controller', 'GetCapacity')
  getCapacity(request: GetCapacityRequest) {
    return this.service.getCapacity(request);
  }

  @GrpcMethod('Controller', 'ControllerExpandVolume')
  expandVolume(request: ControllerExpandVolumeRequest) {
    return this.service.controllerExpandVolume(request);
  }

  @GrpcMethod('Controller', 'ControllerGetVolume')
  getVolume(request: ControllerGetVolumeRequest) {
    return this.service.controllerGetVolume(request.volume_id);
  }
}
