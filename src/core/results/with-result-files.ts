import type { ResultFiles } from './result-files.js';

/** The one method of an operations store this decorator changes. */
export interface SavesResults {
  saveResult(operationId: string, result: unknown): unknown;
}

/**
 * The store with its `saveResult` writing an artifact's binary fields to result files first, so a
 * result the backend fetched from a worker by polling (base64 inline, the fallback when the
 * worker's push did not arrive) is kept like a pushed one: the bytes in a file, a reference in the
 * store. Every other method is the store's own, bound to it (sync or async alike).
 */
export function withResultFiles<S extends SavesResults>(store: S, files: ResultFiles): S {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'saveResult') {
        return (operationId: string, result: unknown) => target.saveResult(operationId, files.storeBlobs(operationId, result).artifact);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
