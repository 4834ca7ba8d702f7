/**
 * A value derived from a source object and one more input, made again only when either is
 * replaced; what requests read between changes is then one object (which renderedOnce renders
 * once). Frozen, because every request shares it.
 */
export class Derived<S extends object, I, T extends object> {
  private readonly made = new WeakMap<S, { input: I; value: Readonly<T> }>();

  constructor(private readonly derive: (source: S, input: I) => T) {}

  of(source: S, input: I): Readonly<T> {
    const known = this.made.get(source);
    if (known !== undefined && known.input === input) {
      return known.value;
    }
    const value = Object.freeze(this.derive(source, input));
    this.made.set(source, { input, value });
    return value;
  }
}
