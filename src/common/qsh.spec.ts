import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeQsh, requestPathForQsh } from './qsh.js';

describe(computeQsh.name, () => {
  // The worked values of heketi-contract.md §3.3.
  it.each([
    ['GET', '/volumes/abc', 'f0edd5156995c0b24516039654d2c24a903c7b14e8cc044bdbabe172f19f2d97'],
    ['POST', '/volumes', '3a9831a9908924e3f78fe948585f41849e92724522f5153cb91aff7f8ea48eac'],
    [
      'GET',
      '/queue/0123456789abcdef0123456789abcdef',
      'b80553bdac677f840f0062dafe1ba0ff7db6ff7ed9ef974a14600f968f5f4c9a',
    ],
  ])('should hash %s&%s to the contract value', (method, path, expected) => {
    expect(computeQsh(method, path)).toBe(expected);
  });

  it('should hash exactly the ASCII string METHOD&PATH', () => {
    expect(computeQsh('DELETE', '/volumes/abc')).toBe(createHash('sha256').update('DELETE&/volumes/abc').digest('hex'));
  });

  it('should produce 64 lowercase hex characters', () => {
    expect(computeQsh('GET', '/clusters')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('should tell methods and paths apart', () => {
    const base = computeQsh('GET', '/volumes/abc');
    expect(computeQsh('POST', '/volumes/abc')).not.toBe(base);
    expect(computeQsh('GET', '/volumes/abd')).not.toBe(base);
    // The method is hashed as sent: Go's client sends it uppercase and so must the server.
    expect(computeQsh('get', '/volumes/abc')).not.toBe(base);
  });
});

describe(requestPathForQsh.name, () => {
  it.each([
    ['/volumes', '/volumes'],
    ['/volumes/abc', '/volumes/abc'],
    ['/volumes?x=1', '/volumes'],
    ['/volumes/abc?x=1&y=2', '/volumes/abc'],
    ['/volumes?', '/volumes'],
    ['/volumes?next=/a?b', '/volumes'],
    ['/', '/'],
    ['', ''],
  ])('should drop the query string from %j', (url, expected) => {
    expect(requestPathForQsh(url)).toBe(expected);
  });

  it.each([
    ['/volumes/a%62c', '/volumes/abc'],
    ['/volumes/a%20b', '/volumes/a b'],
    ['/a%2Fb', '/a/b'],
    ['/caf%C3%A9', '/café'],
    ['/a+b', '/a+b'],
    ['/a%3Fb?c=d', '/a?b'],
  ])('should percent-decode %j like Go URL.Path', (url, expected) => {
    expect(requestPathForQsh(url)).toBe(expected);
  });

  it.each([
    ['/volumes/%zz', '/volumes/%zz'],
    ['/volumes/100%', '/volumes/100%'],
    ['/volumes/%4', '/volumes/%4'],
    ['/a%20b/%zz?q=1', '/a%20b/%zz'],
  ])('should keep %j raw when an escape is malformed', (url, expected) => {
    expect(requestPathForQsh(url)).toBe(expected);
  });

  it('should give the contract hash for a request URL with a query', () => {
    expect(computeQsh('GET', requestPathForQsh('/volumes/abc?verbose=1'))).toBe(
      'f0edd5156995c0b24516039654d2c24a903c7b14e8cc044bdbabe172f19f2d97',
    );
  });
});
