import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * One store for everything that follows an HTTP request through its hooks, guard, pipes, handler
 * and the work they start: the request's id. The storage-call counter (backends/backend-calls.ts)
 * and the log lines' `reqId` (logging/root-logger.ts) both read it. One store on purpose: on Node 20
 * each AsyncLocalStorage in use adds its own work to every promise created, which measurably cost
 * throughput with two.
 */
const scope = new AsyncLocalStorage<string>();

export const RequestScope = {
  /** The id of the request being handled, if any. */
  id(): string | undefined {
    return scope.getStore();
  },

  run<T>(requestId: string, handle: () => T): T {
    return scope.run(requestId, handle);
  },
};
