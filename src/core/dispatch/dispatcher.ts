import type { Logger } from 'pino';
import { toError } from '../errors.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { SelectionCriteria, WorkerRegistry } from '../registry/worker-registry.js';
import { WorkerHttpError, type WorkerClient } from '../worker-client.js';

/** Where and how an operation goes: which worker type, which start path, which selection rules. */
export interface DispatchTarget {
  workerType: string;
  /** Path on the worker, e.g. `/backtests/start`. */
  startPath: string;
  /** Body sent to the worker; `task_id` is added. */
  payload: Record<string, unknown>;
  selection?: Omit<SelectionCriteria, 'exclude'>;
}

export type DispatchOutcome =
  | { kind: 'dispatched'; workerId: string; attempts: number }
  /** No worker could take it now. A future waiting queue would park the op here instead of failing it. */
  | { kind: 'no_worker'; attempts: number; registeredWorkers: number; lastError: string | null }
  /** A worker refused the request itself (4xx other than 503): retrying elsewhere would not help. */
  | { kind: 'rejected'; workerId: string; status: number; message: string };

export interface DispatcherDeps {
  registry: WorkerRegistry;
  client: WorkerClient;
  operations: OperationsService;
  log: Logger;
  /** Counts retries (a worker answered 503 or was unreachable). */
  onRetry?(workerType: string, reason: 'busy' | 'unreachable'): void;
}

export interface DispatcherOptions {
  /** Workers tried before giving up. @defaultValue 3 */
  maxAttempts?: number;
}

/**
 * Hands a pending operation to a worker: picks one (least recently used, GPU first when asked),
 * POSTs the start request with task_id = operation id, and on 503/unreachable excludes that
 * worker and tries another. It reports the outcome; what to do when no worker can take the
 * operation (fail now, or queue) is the caller's policy.
 */
export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #log: Logger;
  readonly #opts: Required<DispatcherOptions>;

  constructor(deps: DispatcherDeps, options: DispatcherOptions = {}) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'dispatcher' });
    this.#opts = { maxAttempts: 3, ...options };
  }

  async dispatch(operationId: string, target: DispatchTarget): Promise<DispatchOutcome> {
    const { registry, client, operations } = this.#deps;
    const exclude = new Set<string>();
    let lastError: string | null = null;
    let attempts = 0;
    while (attempts < this.#opts.maxAttempts) {
      const worker = registry.select(target.workerType, { ...target.selection, exclude });
      if (!worker) break;
      attempts++;
      // Reserve before the request so concurrent dispatches don't pick the same worker.
      registry.markBusy(worker.workerId, operationId);
      const log = this.#log.child({ operationId, workerId: worker.workerId });
      try {
        await client.start(worker.endpointUrl, target.startPath, { ...target.payload, task_id: operationId });
        operations.markDispatched(operationId, worker.workerId);
        log.info({ attempt: attempts }, 'dispatched');
        return { kind: 'dispatched', workerId: worker.workerId, attempts };
      } catch (err) {
        exclude.add(worker.workerId);
        if (err instanceof WorkerHttpError && err.status === 503) {
          const body = err.body as { current_operation?: string | null } | undefined;
          registry.markBusy(worker.workerId, body?.current_operation ?? null);
          lastError = err.message;
          log.info({ attempt: attempts }, 'worker busy; trying another');
          this.#deps.onRetry?.(target.workerType, 'busy');
          continue;
        }
        registry.markAvailable(worker.workerId, operationId);
        if (err instanceof WorkerHttpError && err.status >= 400 && err.status < 500) {
          const detail = (err.body as { detail?: string; error?: string } | undefined) ?? {};
          const message = detail.detail ?? detail.error ?? err.message;
          log.warn({ status: err.status, message }, 'worker rejected the request');
          return { kind: 'rejected', workerId: worker.workerId, status: err.status, message };
        }
        lastError = toError(err).message;
        log.warn({ attempt: attempts, err: lastError }, 'worker unreachable; trying another');
        this.#deps.onRetry?.(target.workerType, 'unreachable');
      }
    }
    return {
      kind: 'no_worker',
      attempts,
      registeredWorkers: registry.list({ workerType: target.workerType }).length,
      lastError,
    };
  }
}
