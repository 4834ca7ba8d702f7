/** Whether storage work was started by an HTTP request (the client waits on it) or by a timer. */
export type CallOrigin = 'background' | 'request';

export const BACKEND_CALLED = 'backend.called';

/** A port method that reaches storage was called. */
export class BackendCalled {
  constructor(
    readonly method: string,
    readonly origin: CallOrigin,
  ) {}
}
