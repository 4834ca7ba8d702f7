import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { gidFor, parseClassParameters } from './storage-class.params.js';

const CLUSTER = 'ab'.repeat(16);

describe('parseClassParameters', () => {
  it('should read the in-tree names, the key from the secret', () => {
    const parsed = parseClassParameters(
      {
        clusters: ` ${CLUSTER} `,
        gidMax: '50000',
        gidMin: '40000',
        resturl: 'https://heketi:8080',
        restuser: 'admin',
        volumetype: 'replicate:3',
      },
      { key: 's3cret' },
    );
    expect(parsed).toEqual({
      clusters: [CLUSTER],
      connection: { key: 's3cret', url: 'https://heketi:8080', user: 'admin' },
      durability: { replicate: { replica: 3 }, type: 'replicate' },
      gidRange: { max: 50000, min: 40000 },
    });
  });

  it('should accept Kubernetes’ own keys and in-tree keys that mean nothing here', () => {
    expect(() =>
      parseClassParameters({ 'csi.storage.k8s.io/pvc/name': 'x', secretName: 's', volumeoptions: 'a b' }, {}),
    ).not.toThrow();
  });

  it.each([
    [{ restulr: 'http://x' }, 'unknown StorageClass parameter'],
    [{ clusters: 'not-an-id' }, 'clusters'],
    [{ gidMin: '10', gidMax: '5' }, 'gidMin is more than gidMax'],
    [{ gidMin: '-3' }, 'gidMin'],
    [{ resturl: 'file:///etc/passwd' }, 'resturl'],
    [{ volumetype: 'mirror' }, 'volumetype'],
  ])('should refuse %j with INVALID_ARGUMENT', (parameters, message) => {
    expect(() => parseClassParameters(parameters as Record<string, string>, {})).toThrow(
      expect.objectContaining({ code: status.INVALID_ARGUMENT, message: expect.stringContaining(message) }),
    );
  });
});

describe('gidFor', () => {
  it('should pick the same gid for the same name, inside the range', () => {
    const range = { max: 2010, min: 2000 };
    expect(gidFor('pvc-a', range)).toBe(gidFor('pvc-a', range));
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      expect(gidFor(name, range)).toBeGreaterThanOrEqual(2000);
      expect(gidFor(name, range)).toBeLessThanOrEqual(2010);
    }
    expect(gidFor('pvc-a', undefined)).toBeUndefined();
  });
});
