import { describe, expect, it } from 'vitest';
import { ErrorCode, PiraguaError } from '../common/piragua.error.js';
import type { CreateVolumeDto } from './dto/create-volume.dto.js';
import { checkCreateRequest, checkExpandRequest, MAX_NAME_LENGTH, MAX_SIZE_GIB } from './volume-request.rules.js';

/** The error `check` throws, or a failure when it throws none or something else. */
function thrownBy(check: () => unknown): PiraguaError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(PiraguaError);
    return error as PiraguaError;
  }
  throw new Error('expected the request to be refused');
}

/** What Kubernetes' in-tree provisioner sends (contract §8.1). */
const KUBERNETES: CreateVolumeDto = {
  durability: { disperse: {}, replicate: { replica: 3 }, type: 'replicate' },
  gid: 2000,
  name: '',
  size: 2,
  snapshot: { enable: true, factor: 1 },
};

describe(checkCreateRequest.name, () => {
  describe('400 answers, one rule at a time (contract §6.1)', () => {
    it.each<[string, CreateVolumeDto, string]>([
      ['size missing', {}, 'validation failed: size: cannot be blank.'],
      ['size zero', { size: 0 }, 'validation failed: size: cannot be blank.'],
      ['size negative', { size: -1 }, 'validation failed: size: must be no less than 1.'],
      ['name with a slash', { name: 'a/b', size: 1 }, 'validation failed: name: must be in a valid format.'],
      ['name with a dot', { name: 'a.b', size: 1 }, 'validation failed: name: must be in a valid format.'],
      ['name with a space', { name: 'a b', size: 1 }, 'validation failed: name: must be in a valid format.'],
      [
        'name too long',
        { name: 'n'.repeat(MAX_NAME_LENGTH + 1), size: 1 },
        `validation failed: name: the length must be no more than ${MAX_NAME_LENGTH}.`,
      ],
      [
        'both size and name',
        { name: '../x', size: 0 },
        'validation failed: name: must be in a valid format; size: cannot be blank.',
      ],
      ['gid negative', { gid: -1, size: 1 }, 'Bad group id less than zero'],
      ['gid MaxInt32', { gid: 2147483647, size: 1 }, 'Bad group id equal or greater than 2**32'],
      ['gid above MaxInt32', { gid: 2 ** 32, size: 1 }, 'Bad group id equal or greater than 2**32'],
      ['unknown durability', { durability: { type: 'mirror' }, size: 1 }, 'Unknown durability type'],
      ['durability type in capitals', { durability: { type: 'Replicate' }, size: 1 }, 'Unknown durability type'],
      ['size past 8 PiB', { size: MAX_SIZE_GIB + 1 }, 'Invalid volume size'],
      ['snapshot factor below 1', { size: 1, snapshot: { enable: true, factor: 0.5 } }, 'Invalid snapshot factor'],
      ['snapshot factor above 100', { size: 1, snapshot: { enable: true, factor: 100.5 } }, 'Invalid snapshot factor'],
      ['snapshot factor negative', { size: 1, snapshot: { enable: true, factor: -1 } }, 'Invalid snapshot factor'],
      ['replica 4', { durability: { replicate: { replica: 4 }, type: 'replicate' }, size: 1 }, 'Invalid replica value'],
      [
        'replica negative',
        { durability: { replicate: { replica: -1 }, type: 'replicate' }, size: 1 },
        'Invalid replica value',
      ],
      [
        'disperse 3+1',
        { durability: { disperse: { data: 3, redundancy: 1 }, type: 'disperse' }, size: 8 },
        'Invalid dispersion combination: 3+1',
      ],
      [
        'disperse 4+1',
        { durability: { disperse: { data: 4, redundancy: 1 }, type: 'disperse' }, size: 8 },
        'Invalid dispersion combination: 4+1',
      ],
      [
        'disperse 4 without redundancy',
        { durability: { disperse: { data: 4 }, type: 'disperse' }, size: 8 },
        'Invalid dispersion combination: 4+0',
      ],
      [
        'disperse smaller than its data bricks',
        { durability: { disperse: { data: 8, redundancy: 3 }, type: 'disperse' }, size: 4 },
        'Requested volume size (4 GB) is smaller than the minimum supported volume size (8 GB)',
      ],
    ])('should refuse %s', (_case, dto, message) => {
      const error = thrownBy(() => checkCreateRequest(dto));

      expect({ code: error.code, message: error.message }).toEqual({ code: ErrorCode.InvalidRequest, message });
    });
  });

  describe('order of the checks (contract §6.1)', () => {
    it.each<[string, CreateVolumeDto, string]>([
      ['validation before gid', { gid: -1, size: 0 }, 'validation failed: size: cannot be blank.'],
      [
        'validation before durability',
        { durability: { type: 'mirror' }, name: 'a/b', size: 1 },
        'validation failed: name: must be in a valid format.',
      ],
      ['gid before durability', { durability: { type: 'mirror' }, gid: -1, size: 1 }, 'Bad group id less than zero'],
      ['durability before size', { durability: { type: 'mirror' }, size: MAX_SIZE_GIB + 1 }, 'Unknown durability type'],
      [
        'size before snapshot',
        { size: MAX_SIZE_GIB + 1, snapshot: { enable: true, factor: 500 } },
        'Invalid volume size',
      ],
      [
        'snapshot before replica',
        {
          durability: { replicate: { replica: 9 }, type: 'replicate' },
          size: 1,
          snapshot: { enable: true, factor: 500 },
        },
        'Invalid snapshot factor',
      ],
      [
        'snapshot before dispersion',
        {
          durability: { disperse: { data: 3, redundancy: 3 }, type: 'disperse' },
          size: 1,
          snapshot: { enable: true, factor: 500 },
        },
        'Invalid snapshot factor',
      ],
      [
        'dispersion pair before minimum size',
        { durability: { disperse: { data: 16, redundancy: 4 }, type: 'disperse' }, size: 1 },
        'Invalid dispersion combination: 16+4',
      ],
      ['validation before block', { block: true, size: 0 }, 'validation failed: size: cannot be blank.'],
      ['durability before block', { block: true, durability: { type: 'mirror' }, size: 1 }, 'Unknown durability type'],
      [
        'minimum size before block',
        { block: true, durability: { disperse: { data: 8, redundancy: 4 }, type: 'disperse' }, size: 2 },
        'Requested volume size (2 GB) is smaller than the minimum supported volume size (8 GB)',
      ],
    ])('should check %s', (_case, dto, message) => {
      expect(thrownBy(() => checkCreateRequest(dto)).message).toBe(message);
    });
  });

  describe('block volumes', () => {
    it('should answer 501 (NotSupported) for an otherwise valid block request', () => {
      const error = thrownBy(() => checkCreateRequest({ block: true, size: 1 }));

      expect(error.code).toBe(ErrorCode.NotSupported);
      expect(error.message).toMatch(/^Block volumes are not supported/);
    });

    it('should accept block: false', () => {
      expect(checkCreateRequest({ block: false, size: 1 }).block).toBe(false);
    });
  });

  describe('accepted requests', () => {
    it('should accept what Kubernetes sends and echo its durability', () => {
      expect(checkCreateRequest(KUBERNETES)).toEqual({
        block: false,
        clusters: [],
        durability: { disperse: {}, replicate: { replica: 3 }, type: 'replicate' },
        gid: 2000,
        glusterVolumeOptions: undefined,
        name: undefined,
        sizeGiB: 2,
        snapshot: { enable: true, factor: 1 },
      });
    });

    it('should accept what heketi-cli sends by default (contract §9.2)', () => {
      const request = checkCreateRequest({
        durability: { disperse: { data: 4, redundancy: 2 }, replicate: { replica: 3 }, type: 'replicate' },
        name: '',
        size: 10,
        snapshot: { enable: false, factor: 0 },
      });

      expect(request).toMatchObject({
        durability: { disperse: { data: 4, redundancy: 2 }, replicate: { replica: 3 }, type: 'replicate' },
        sizeGiB: 10,
        snapshot: { enable: false, factor: 1 },
      });
    });

    it.each([
      ['missing', undefined],
      ['an empty object', {}],
      ['an empty type', { type: '' }],
    ])('should default the durability type to none when it is %s', (_case, durability) => {
      expect(checkCreateRequest({ durability, size: 1 }).durability).toEqual({
        disperse: {},
        replicate: {},
        type: 'none',
      });
    });

    it.each([
      ['missing', {}],
      ['zero', { replica: 0 }],
    ])('should echo replica 2 for replicate when the replica is %s (heketi-cli divides by it)', (_case, replicate) => {
      expect(checkCreateRequest({ durability: { replicate, type: 'replicate' }, size: 1 }).durability).toEqual({
        disperse: {},
        replicate: { replica: 2 },
        type: 'replicate',
      });
    });

    it.each([1, 2, 3])('should accept replica %i', (replica) => {
      expect(
        checkCreateRequest({ durability: { replicate: { replica }, type: 'replicate' }, size: 1 }).durability.replicate,
      ).toEqual({ replica });
    });

    it.each([
      [2, 1],
      [4, 2],
      [8, 3],
      [8, 4],
    ])('should accept the dispersion %i+%i', (data, redundancy) => {
      const request = checkCreateRequest({
        durability: { disperse: { data, redundancy }, type: 'disperse' },
        size: data,
      });

      expect(request.durability).toEqual({ disperse: { data, redundancy }, replicate: {}, type: 'disperse' });
    });

    it.each([
      ['disabled', { enable: false, factor: 0 }, { enable: false, factor: 1 }],
      ['disabled with a factor', { enable: false, factor: 50 }, { enable: false, factor: 1 }],
      ['missing', undefined, { enable: false, factor: 1 }],
      ['enabled with factor 0', { enable: true, factor: 0 }, { enable: true, factor: 1.5 }],
      ['enabled without a factor', { enable: true }, { enable: true, factor: 1.5 }],
      ['enabled with factor 1', { enable: true, factor: 1 }, { enable: true, factor: 1 }],
      ['enabled with factor 100', { enable: true, factor: 100 }, { enable: true, factor: 100 }],
      ['enabled with factor 2.5', { enable: true, factor: 2.5 }, { enable: true, factor: 2.5 }],
    ])('should normalize a snapshot that is %s', (_case, snapshot, expected) => {
      expect(checkCreateRequest({ size: 1, snapshot }).snapshot).toEqual(expected);
    });

    it.each([
      ['gid 0 as no gid', { gid: 0, size: 1 }, { gid: undefined }],
      ['the largest gid', { gid: 2147483646, size: 1 }, { gid: 2147483646 }],
      ['an empty name as the default name', { name: '', size: 1 }, { name: undefined }],
      ['a name of letters, digits, _ and -', { name: 'pvc_ns-1_X', size: 1 }, { name: 'pvc_ns-1_X' }],
      [
        'a name of the maximum length',
        { name: 'n'.repeat(MAX_NAME_LENGTH), size: 1 },
        { name: 'n'.repeat(MAX_NAME_LENGTH) },
      ],
      ['requested clusters', { clusters: ['abc'], size: 1 }, { clusters: ['abc'] }],
      ['no gluster options as undefined', { glustervolumeoptions: [], size: 1 }, { glusterVolumeOptions: undefined }],
      [
        'gluster options as given',
        { glustervolumeoptions: [' nl-cache on'], size: 1 },
        { glusterVolumeOptions: [' nl-cache on'] },
      ],
      ['the largest size', { size: MAX_SIZE_GIB }, { sizeGiB: MAX_SIZE_GIB }],
    ])('should take %s', (_case, dto, expected) => {
      expect(checkCreateRequest(dto)).toMatchObject(expected);
    });
  });
});

describe(checkExpandRequest.name, () => {
  it.each<[string, { expand_size?: number }, string]>([
    ['a missing expand_size', {}, 'validation failed: expand_size: cannot be blank.'],
    ['expand_size 0', { expand_size: 0 }, 'validation failed: expand_size: cannot be blank.'],
    ['a negative expand_size', { expand_size: -2 }, 'validation failed: expand_size: must be no less than 1.'],
    ['an expand_size past 8 PiB', { expand_size: MAX_SIZE_GIB + 1 }, 'Invalid volume size'],
  ])('should refuse %s', (_case, dto, message) => {
    const error = thrownBy(() => checkExpandRequest(dto));

    expect({ code: error.code, message: error.message }).toEqual({ code: ErrorCode.InvalidRequest, message });
  });

  it.each([1, 7, MAX_SIZE_GIB])('should return the delta %i', (delta) => {
    expect(checkExpandRequest({ expand_size: delta })).toBe(delta);
  });
});
