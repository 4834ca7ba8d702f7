import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { VOLUME_NAME } from '../../volumes/volume-request.rules.js';
import { heketiNameFor } from './csi-name.js';

describe('heketiNameFor', () => {
  it('should keep a name Heketi accepts, such as what Kubernetes sends', () => {
    expect(heketiNameFor('pvc-0f9a3c1e-6b2d-4a57-9e8f-1c2b3d4e5f60')).toBe('pvc-0f9a3c1e-6b2d-4a57-9e8f-1c2b3d4e5f60');
  });

  it('should map other names deterministically to a valid Heketi name', () => {
    const mapped = heketiNameFor('team/a.b c');
    expect(mapped).toMatch(VOLUME_NAME);
    expect(mapped).toBe(heketiNameFor('team/a.b c'));
    expect(mapped.startsWith('team_a_b_c-')).toBe(true);
  });

  it('should give names that sanitize alike different Heketi names', () => {
    expect(heketiNameFor('a.b')).not.toBe(heketiNameFor('a/b'));
    expect(heketiNameFor('../x')).not.toBe(heketiNameFor('./x'));
  });

  it('should accept a 128-character name and give a valid name of at most 113 characters', () => {
    const name = 'n.'.repeat(64);
    const mapped = heketiNameFor(name);
    expect(mapped).toMatch(VOLUME_NAME);
    expect(mapped.length).toBeLessThanOrEqual(113);
    expect(heketiNameFor('x'.repeat(128))).toBe('x'.repeat(128));
  });

  it.each([
    ['', 'name is required'],
    ['x'.repeat(129), 'longer than 128 bytes'],
    ['é'.repeat(65), 'longer than 128 bytes'],
    ['a\u0000b', 'control characters'],
    [42, 'name is required'],
  ])('should refuse %j with INVALID_ARGUMENT', (name, message) => {
    expect(() => heketiNameFor(name)).toThrow(
      expect.objectContaining({ code: status.INVALID_ARGUMENT, message: expect.stringContaining(message) }),
    );
  });
});
