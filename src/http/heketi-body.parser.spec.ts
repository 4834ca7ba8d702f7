import { describe, expect, it } from 'vitest';
import { charsetOf, MAX_BODY_DEPTH, nestsDeeperThan, parseHeketiBody, UNPARSABLE_BODY } from './heketi-body.parser.js';

const nested = (depth: number, open: '[' | '{"a":'): unknown =>
  JSON.parse(`${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);

describe(nestsDeeperThan.name, () => {
  it('should count a flat Heketi request as one level and its durability as three', () => {
    expect(nestsDeeperThan({ size: 1 }, 1)).toBe(false);
    expect(nestsDeeperThan({ durability: { replicate: { replica: 3 } }, size: 1 }, 3)).toBe(false);
    expect(nestsDeeperThan({ durability: { replicate: { replica: 3 } }, size: 1 }, 2)).toBe(true);
  });

  it('should treat scalars and null as no nesting at all', () => {
    for (const value of [null, undefined, 1, 'x', true]) {
      expect(nestsDeeperThan(value, 0)).toBe(false);
    }
  });

  it.each(['[', '{"a":'] as const)('should find %s nesting far past the limit without recursing', (open) => {
    expect(nestsDeeperThan(nested(100_000, open), MAX_BODY_DEPTH)).toBe(true);
    expect(nestsDeeperThan(nested(MAX_BODY_DEPTH, open), MAX_BODY_DEPTH)).toBe(false);
  });
});

describe(parseHeketiBody.name, () => {
  const parse = (text: string, method = 'POST', charset?: string) =>
    parseHeketiBody(method, Buffer.from(text), charset);

  it('should keep a body within the depth limit as it is', () => {
    expect(parse('{"size":1,"snapshot":{"enable":true}}')).toEqual({ size: 1, snapshot: { enable: true } });
  });

  it('should replace a body nested too deeply with null, which the validation pipe answers with 422', () => {
    expect(parse(JSON.stringify({ size: 1, x: nested(2000, '[') }))).toBeNull();
  });

  it('should lowercase every key at every level, as Go matches them case-insensitively', () => {
    expect(parse('{"Size":1,"DURABILITY":{"Type":"replicate"},"list":[{"A":1}]}')).toEqual({
      durability: { type: 'replicate' },
      list: [{ a: 1 }],
      size: 1,
    });
  });

  it('should mark a body that does not parse, or an empty one on a change, for the validation pipe', () => {
    for (const body of ['{"size": 1', '\ufeff\ufeff{}', ' ', 'x']) {
      expect(parse(body)).toBe(UNPARSABLE_BODY);
    }
    expect(parse('', 'PUT')).toBe(UNPARSABLE_BODY);
  });

  it('should read an empty body on a read or a delete as an empty object', () => {
    expect(parse('', 'GET')).toEqual({});
    expect(parse('', 'DELETE')).toEqual({});
  });

  it('should take JSON scalars and arrays, which the validation pipe then refuses', () => {
    expect(parse('[1,2]')).toEqual([1, 2]);
    expect(parse('"size"')).toBe('size');
    expect(parse('null')).toBeNull();
  });

  it('should drop a byte-order mark and decode the UTF charsets a client declares, and no other', () => {
    expect(parse('\ufeff{"size":1}')).toEqual({ size: 1 });
    expect(parseHeketiBody('POST', Buffer.from('{"size":1}', 'utf16le'), 'utf-16le')).toEqual({ size: 1 });
    expect(parse('{"size":1}', 'POST', 'latin1')).toBe(UNPARSABLE_BODY);
  });
});

describe(charsetOf.name, () => {
  it.each([
    [undefined, 'utf-8'],
    ['application/json', 'utf-8'],
    ['application/json; charset=UTF-8', 'utf-8'],
    ['text/plain;charset="utf-16le"', 'utf-16le'],
    ['application/json; charset=koi8-r', 'koi8-r'],
    ['${jndi:ldap://x/a}', 'utf-8'],
  ])('should read %s as %s', (header, charset) => {
    expect(charsetOf(header)).toBe(charset);
  });
});
