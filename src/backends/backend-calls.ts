import type { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { RequestScope } from '../common/request-scope.js';
import { BACKEND_CALLED, BackendCalled } from './backend.events.js';

/** Nest's lifecycle hooks: called on a backend, but not storage calls of anyone's. */
const LIFECYCLE_HOOKS = new Set<string | symbol>([
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
]);

/**
 * The backend with each call that reaches storage announced as a BackendCalled event, by method
 * and origin, so anyone can check with `piragua_backend_calls_total{origin="request"}` that the
 * read paths never wait on storage. `storageMethods` names them; without it every method does.
 * `this` inside stays the real backend. Start-up's calls are announced once listeners are attached.
 */
export function countedCalls<T extends object>(
  backend: T,
  events: EventEmitter2,
  listeners: EventEmitterReadinessWatcher,
  storageMethods?: ReadonlySet<string>,
): T {
  const reachesStorage = (property: string | symbol) =>
    typeof property === 'string' &&
    !LIFECYCLE_HOOKS.has(property) &&
    (storageMethods === undefined || storageMethods.has(property));
  return new Proxy(backend, {
    get: (target, property, receiver) => {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') {
        return value;
      }
      if (!reachesStorage(property)) {
        return value.bind(target) as unknown;
      }
      return (...args: unknown[]) => {
        const origin = RequestScope.id() === undefined ? 'background' : 'request';
        const called = new BackendCalled(String(property), origin);
        void listeners.waitUntilReady().then(() => events.emit(BACKEND_CALLED, called));
        return value.apply(target, args) as unknown;
      };
    },
  });
}
