import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { listTokenAfter, startAfter } from './list-token.js';

describe('list tokens', () => {
  it('should round-trip the id a page ends with', () => {
    expect(startAfter(listTokenAfter('a'.repeat(32)))).toBe('a'.repeat(32));
    expect(startAfter('')).toBe('');
  });

  it.each([['12'], ['a'.repeat(32)], ['piragua1.../../x']])(
    'should answer ABORTED for the foreign token %s',
    (token) => {
      expect(() => startAfter(token)).toThrow(expect.objectContaining({ code: status.ABORTED }));
    },
  );
});
