/** Result of a handler that started an asynchronous operation: 202 with the queue location to poll. */
export class AsyncAccepted {
  constructor(public readonly operationId: string) {}

  get location(): string {
    return `/queue/${this.operationId}`;
  }
}

/**
 * A body rendered once and sent as often as it is asked for: the volume list of thousands of ids,
 * a volume's or a cluster's info, are read far more often than they change, and rendering them per
 * request was a large share of their cost.
 */
export class PreRendered<T> {
  private bytes?: Buffer;

  constructor(readonly value: T) {}

  /** As bytes: a string would be encoded again for every response (400 KB each for 10,000 ids). */
  get body(): Buffer {
    return (this.bytes ??= Buffer.from(`${JSON.stringify(this.value)}\n`));
  }
}

const renderings = new WeakMap<object, PreRendered<object>>();

/**
 * The one rendering of a value its maker never changes again (services keep such values frozen
 * until their source changes): the same object always gets the same body.
 */
export function renderedOnce<T extends object>(value: T): PreRendered<T> {
  let rendered = renderings.get(value) as PreRendered<T> | undefined;
  if (rendered === undefined) {
    rendered = new PreRendered(value);
    renderings.set(value, rendered);
  }
  return rendered;
}

/** An answer whose status and headers are the point (the queue's 200/303/204), sent exactly as given. */
export class HttpAnswer {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly body?: string,
  ) {}
}

/** The queue's answer for a failed operation: the error as Go's http.Error writes it. */
export function plainErrorAnswer(status: number, message: string): HttpAnswer {
  const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
  return new HttpAnswer(status, headers, `${message}\n`);
}
