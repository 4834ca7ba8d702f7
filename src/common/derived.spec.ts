import { describe, expect, it, vi } from 'vitest';
import { Derived } from './derived.js';
import { renderedOnce } from '../http/http-answers.js';

describe(Derived.name, () => {
  const source = { id: 'a' };

  it('should derive once while the source and the input stay the same', () => {
    const derive = vi.fn((from: { id: string }, input: readonly string[]) => ({ id: from.id, volumes: input }));
    const derived = new Derived(derive);
    const input = ['v1'];

    const first = derived.of(source, input);

    expect(derived.of(source, input)).toBe(first);
    expect(derive).toHaveBeenCalledTimes(1);
  });

  it('should derive again when the input is replaced, even by an equal one', () => {
    const derived = new Derived((from: { id: string }, input: readonly string[]) => ({ id: from.id, volumes: input }));
    const before = derived.of(source, ['v1']);

    const after = derived.of(source, ['v1', 'v2']);

    expect(after).not.toBe(before);
    expect(after.volumes).toEqual(['v1', 'v2']);
    expect(derived.of(source, ['v1', 'v2'])).not.toBe(after);
  });

  it('should derive per source', () => {
    const derived = new Derived((from: { id: string }) => ({ id: from.id }));

    expect(derived.of({ id: 'b' }, undefined)).toEqual({ id: 'b' });
    expect(derived.of({ id: 'c' }, undefined)).toEqual({ id: 'c' });
  });

  it('should freeze what it shares between requests', () => {
    const value = new Derived((from: { id: string }) => ({ id: from.id })).of(source, undefined);

    expect(Object.isFrozen(value)).toBe(true);
  });
});

describe(renderedOnce.name, () => {
  it('should render a value once and keep the rendering with it', () => {
    const value = { volumes: ['v1'] };
    const stringify = vi.spyOn(JSON, 'stringify');

    const rendered = renderedOnce(value);
    expect(rendered.body.toString()).toBe('{"volumes":["v1"]}\n');
    expect(renderedOnce(value).body.toString()).toBe('{"volumes":["v1"]}\n');

    expect(renderedOnce(value)).toBe(rendered);
    expect(stringify).toHaveBeenCalledTimes(1);
    stringify.mockRestore();
  });
});
