import { describe, expect, it } from 'vitest';
import { undecodableSegment } from './request-start.middleware.js';

describe(undecodableSegment.name, () => {
  it.each([
    ['/volumes%zz', 'volumes%zz'],
    ['/volumes/%zz', '%zz'],
    ['/volumes/abc/expand%', 'expand%'],
    ['/%ff%fe/x', '%ff%fe'],
  ])('should name the badly escaped segment of %s', (url, segment) => {
    expect(undecodableSegment(url)).toBe(segment);
  });

  it.each(['/volumes', '/volumes/%2e%2e', '/docs/..%2f..%2fpackage.json', '/volumes?x=%zz'])(
    'should find nothing wrong in %s',
    (url) => {
      expect(undecodableSegment(url)).toBeUndefined();
    },
  );
});
