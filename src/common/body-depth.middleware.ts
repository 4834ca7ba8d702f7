import type { RequestHandler } from 'express';

/**
 * Heketi's requests nest four levels at most. class-transformer recurses once per level and
 * overflows the stack (a 500) past about a thousand, which a 64 KiB body easily reaches.
 */
export const MAX_BODY_DEPTH = 32;

/** Iterative on purpose: the point is not to recurse through what a client sent. */
export function nestsDeeperThan(root: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') {
      continue;
    }
    if (depth > limit) {
      return true;
    }
    for (const child of Object.values(value)) {
      pending.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * A body nested deeper than MAX_BODY_DEPTH is treated like one that is not a JSON object: the
 * validation pipe answers Heketi's 422, after the guard, and nothing recurses through it before.
 */
export const dropDeeplyNestedBody: RequestHandler = (request, _response, next) => {
  if (nestsDeeperThan(request.body, MAX_BODY_DEPTH)) {
    request.body = null;
  }
  next();
};
