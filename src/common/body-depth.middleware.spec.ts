import type { Request, Response } from 'express';
import { describe, expect, it, vi } from 'vitest';
import { dropDeeplyNestedBody, MAX_BODY_DEPTH, nestsDeeperThan } from './body-depth.middleware.js';

const nested = (depth: number, open: '[' | '{"a":'): unknown => JSON.parse(`${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);

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

describe('dropDeeplyNestedBody', () => {
  const run = (body: unknown) => {
    const request = { body } as Request;
    const next = vi.fn();
    dropDeeplyNestedBody(request, {} as Response, next);
    expect(next).toHaveBeenCalledWith();
    return request.body as unknown;
  };

  it('should keep a body within the limit as it is', () => {
    const body = { size: 1, snapshot: { enable: true } };
    expect(run(body)).toBe(body);
  });

  it('should replace a body nested too deeply with null, which the validation pipe answers with 422', () => {
    expect(run({ size: 1, x: nested(2000, '[') })).toBeNull();
  });
});
