import { ErrorCode, invalidRequest, PiraguaError } from '../common/piragua.error.js';
import { Durability, GIB } from '../backends/backend.types.js';
import type { CreateVolumeDto } from './dto/create-volume.dto.js';
import type { ExpandVolumeDto } from './dto/expand-volume.dto.js';

export const VOLUME_NAME = /^[a-zA-Z0-9_-]+$/;
/** Gluster path components are limited to 255 bytes; leave room for Kubernetes' own prefixes. */
export const MAX_NAME_LENGTH = 200;
/** Sizes whose byte count a double still represents exactly (8 PiB). */
export const MAX_SIZE_GIB = Math.floor(Number.MAX_SAFE_INTEGER / GIB);
const MAX_GID = 2147483647;
const DISPERSE_PAIRS = new Set(['2+1', '4+2', '8+3', '8+4']);
/** Heketi's internal replica default, echoed when a replicate request leaves it out (heketi-cli divides by it). */
const DEFAULT_REPLICA = 2;

export interface CreateRequest {
  block: boolean;
  clusters: string[];
  durability: Durability;
  gid?: number;
  glusterVolumeOptions?: string[];
  name?: string;
  sizeGiB: number;
  snapshot: { enable: boolean; factor: number };
}

/** Heketi's ozzo-validation message: fields sorted, joined by "; ", with a final period. */
function validationFailed(problems: Record<string, string>): PiraguaError {
  const text = Object.keys(problems)
    .sort()
    .map((field) => `${field}: ${problems[field]}`)
    .join('; ');
  return invalidRequest(`validation failed: ${text}.`);
}

function checkSize(field: string, size: number | undefined, problems: Record<string, string>): void {
  if (size === undefined || size === 0) {
    problems[field] = 'cannot be blank';
  } else if (size < 1) {
    problems[field] = 'must be no less than 1';
  }
}

function normalizeDurability(dto: CreateVolumeDto['durability']): Durability {
  const type = dto?.type === undefined || dto.type === '' ? 'none' : dto.type;
  if (type !== 'none' && type !== 'replicate' && type !== 'disperse') {
    throw invalidRequest('Unknown durability type');
  }
  const replica = dto?.replicate?.replica || (type === 'replicate' ? DEFAULT_REPLICA : undefined);
  // Keys in Heketi's encoding order: type, replicate, disperse.
  return {
    type,
    replicate: replica ? { replica } : {},
    disperse: {
      ...(dto?.disperse?.data ? { data: dto.disperse.data } : {}),
      ...(dto?.disperse?.redundancy ? { redundancy: dto.disperse.redundancy } : {}),
    },
  };
}

/** POST /volumes checks, in heketi's order and with its wording (app_volume.go). */
export function checkCreateRequest(dto: CreateVolumeDto): CreateRequest {
  checkSizeAndName(dto);
  const sizeGiB = dto.size!;
  checkGid(dto.gid);
  const durability = normalizeDurability(dto.durability);
  if (sizeGiB > MAX_SIZE_GIB) {
    throw invalidRequest('Invalid volume size');
  }
  const snapshot = checkSnapshot(dto.snapshot);
  checkDurability(durability, sizeGiB);
  if (dto.block) {
    throw new PiraguaError(
      ErrorCode.NotSupported,
      'Block volumes are not supported: piragua provisions directories with quotas on a shared Gluster volume',
    );
  }
  return {
    block: false,
    clusters: dto.clusters ?? [],
    durability,
    gid: dto.gid || undefined,
    glusterVolumeOptions: dto.glustervolumeoptions?.length ? dto.glustervolumeoptions : undefined,
    name: dto.name || undefined,
    sizeGiB,
    snapshot,
  };
}

/** The field rules, answered together as one 422. */
function checkSizeAndName(dto: CreateVolumeDto): void {
  const problems: Record<string, string> = {};
  checkSize('size', dto.size, problems);
  if (dto.name !== undefined && dto.name !== '') {
    if (!VOLUME_NAME.test(dto.name)) {
      problems.name = 'must be in a valid format';
    } else if (dto.name.length > MAX_NAME_LENGTH) {
      problems.name = `the length must be no more than ${MAX_NAME_LENGTH}`;
    }
  }
  if (Object.keys(problems).length > 0) {
    throw validationFailed(problems);
  }
}

function checkGid(gid: number | undefined): void {
  if (gid !== undefined && gid < 0) {
    throw invalidRequest('Bad group id less than zero');
  }
  if (gid !== undefined && gid >= MAX_GID) {
    throw invalidRequest('Bad group id equal or greater than 2**32');
  }
}

/** An enabled snapshot without a factor gets heketi's 1.5. */
function checkSnapshot(snapshot: CreateVolumeDto['snapshot']): CreateRequest['snapshot'] {
  const enable = snapshot?.enable ?? false;
  const factor = enable ? snapshot?.factor || 1.5 : 1;
  if (enable && (factor < 1 || factor > 100)) {
    throw invalidRequest('Invalid snapshot factor');
  }
  return { enable, factor };
}

function checkDurability(durability: Durability, sizeGiB: number): void {
  if (durability.type === 'replicate') {
    const replica = durability.replicate?.replica ?? 0;
    if (replica > 3 || replica < 0) {
      throw invalidRequest('Invalid replica value');
    }
  }
  if (durability.type !== 'disperse') {
    return;
  }
  const data = durability.disperse?.data ?? 0;
  const redundancy = durability.disperse?.redundancy ?? 0;
  if ((data !== 0 || redundancy !== 0) && !DISPERSE_PAIRS.has(`${data}+${redundancy}`)) {
    throw invalidRequest(`Invalid dispersion combination: ${data}+${redundancy}`);
  }
  if (sizeGiB < data) {
    throw invalidRequest(
      `Requested volume size (${sizeGiB} GB) is smaller than the minimum supported volume size (${data} GB)`,
    );
  }
}

/** POST /volumes/{id}/expand checks (app_volume.go:286-337). */
export function checkExpandRequest(dto: ExpandVolumeDto): number {
  const problems: Record<string, string> = {};
  checkSize('expand_size', dto.expand_size, problems);
  if (Object.keys(problems).length > 0) {
    throw validationFailed(problems);
  }
  if (dto.expand_size! > MAX_SIZE_GIB) {
    throw invalidRequest('Invalid volume size');
  }
  return dto.expand_size!;
}
