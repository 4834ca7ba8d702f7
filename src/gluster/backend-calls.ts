import { Subject } from 'rxjs';
import { RequestScope } from '../common/request-scope.js';
import { GATEWAY_METHODS, GlusterGateway } from './gluster.gateway.js';

/** Whether storage work was started by an HTTP request (the client waits on it) or by a timer. */
export type CallOrigin = 'background' | 'request';

export interface BackendCallEvent {
  method: string;
  origin: CallOrigin;
}

const STORAGE_METHODS = new Set<string | symbol>(
  Object.entries(GATEWAY_METHODS).flatMap(([method, reaches]) => (reaches === 'storage' ? [method] : [])),
);

/**
 * Counts every gateway call that touches storage, by method and origin, so anyone can check with
 * `piragua_backend_calls_total{origin="request"}` that the read paths never wait on Gluster.
 */
export class BackendCalls {
  readonly calls = new Subject<BackendCallEvent>();

  /** The gateway with every storage method counted; `this` inside stays the real gateway. */
  counted<T extends GlusterGateway>(gateway: T): T {
    return new Proxy(gateway, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') {
          return value;
        }
        if (!STORAGE_METHODS.has(property)) {
          return value.bind(target) as unknown;
        }
        return (...args: unknown[]) => {
          this.calls.next({
            method: String(property),
            origin: RequestScope.id() === undefined ? 'background' : 'request',
          });
          return value.apply(target, args) as unknown;
        };
      },
    });
  }
}
