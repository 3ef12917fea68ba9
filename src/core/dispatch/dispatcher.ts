import type { Logger } from 'pino';
import { ClaimedElsewhereError, toError } from '../../contracts/errors.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { SelectionCriteria, WorkerRegistry } from '../registry/worker-registry.js';
import type { WorkerClient } from '../worker-client.js';

/** Where and how an operation goes: which worker type, which start path, which selection rules. */
export interface DispatchTarget {
  workerType: string;
  /** Path on the worker, e.g. `/backtests/start`. */
  startPath: string;
  /** Body sent to the worker; `task_id` and `attempt_id` are added. */
  payload: Record<string, unknown>;
  selection?: Omit<SelectionCriteria, 'exclude'>;
}

export type DispatchOutcome =
  | { kind: 'dispatched'; workerId: string; attempts: number }
  /** No worker could take it now: the caller queues it. */
  | { kind: 'no_worker'; attempts: number; registeredWorkers: number; lastError: string | null }
  /** A worker refused the request itself (4xx other than 503/409): retrying elsewhere would not help. */
  | { kind: 'rejected'; workerId: string; status: number; message: string }
  /** The operation ended (cancelled) while it was being dispatched; nothing runs. */
  | { kind: 'ended'; status: string }
  /** Another backend on the same store took it from the queue first: it runs there, not from here. */
  | { kind: 'claimed_elsewhere' };

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
  /** Timeout of one start request. @defaultValue 5000 */
  startTimeoutMs?: number;
  /** How long selection skips a worker whose start request timed out. @defaultValue max(10000, 2 × startTimeoutMs) */
  cooldownMs?: number;
}

/**
 * Hands an operation to a worker: picks one (least recently used, GPU first when asked), opens an
 * attempt (a fencing token the worker echoes on every report), POSTs the start request with
 * task_id = operation id, and on 503/unreachable/timeout closes that attempt and tries another.
 *
 * A timed-out start is the dangerous case: the worker may still run it. Its attempt is closed
 * before the next one opens, so the worker's claim (sent before any job code runs) is refused and
 * the job never starts there; if the claim arrived first, the op simply runs there.
 */
export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #log: Logger;
  readonly #opts: Required<DispatcherOptions>;

  constructor(deps: DispatcherDeps, options: DispatcherOptions = {}) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'dispatcher' });
    const startTimeoutMs = options.startTimeoutMs ?? 5_000;
    this.#opts = { maxAttempts: 3, startTimeoutMs, cooldownMs: Math.max(10_000, 2 * startTimeoutMs), ...options };
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
      const opened = operations.beginAttempt(operationId, worker.workerId);
      if (!opened) {
        registry.markAvailable(worker.workerId, operationId);
        return { kind: 'ended', status: operations.statusOf(operationId) };
      }
      const { attemptId } = opened;
      const log = this.#log.child({ operationId, workerId: worker.workerId, attemptId });
      // The attempt must be durable before the worker hears of it; and whatever settled the op
      // while it was written (a cancel) wins.
      try {
        await operations.persisted(operationId);
      } catch (err) {
        registry.markAvailable(worker.workerId, operationId);
        // Another backend on the same store took it from the queue first: it runs there.
        if (err instanceof ClaimedElsewhereError) return { kind: 'claimed_elsewhere' };
        operations.attemptFailed(operationId, attemptId, 'abandoned', `could not store the attempt: ${toError(err).message}`);
        throw err;
      }
      if (!operations.attemptIsCurrent(operationId, attemptId)) {
        registry.markAvailable(worker.workerId, operationId);
        return { kind: 'ended', status: operations.statusOf(operationId) };
      }
      let outcome;
      try {
        outcome = await client.start(
          worker.endpointUrl,
          target.startPath,
          { ...target.payload, task_id: operationId, attempt_id: attemptId },
          this.#opts.startTimeoutMs,
        );
      } catch (err) {
        exclude.add(worker.workerId);
        if (operations.attemptWasClaimed(operationId, attemptId)) {
          // The reply was lost or late, but the worker claimed the attempt: it runs there.
          log.info({ err: toError(err).message }, 'start reply lost, but the worker claimed the attempt');
          return { kind: 'dispatched', workerId: worker.workerId, attempts };
        }
        lastError = toError(err).message;
        operations.attemptFailed(operationId, attemptId, 'abandoned', `start request failed: ${lastError}`);
        registry.markAvailable(worker.workerId, operationId);
        registry.coolDown(worker.workerId, this.#opts.cooldownMs);
        // In case it runs anyway (it could not have claimed it: the attempt is closed), tell it to stop.
        client.cancel(worker.endpointUrl, operationId, 'start request timed out; dispatched elsewhere', this.#opts.startTimeoutMs).catch(() => undefined);
        log.warn({ attempt: attempts, err: lastError }, 'worker unreachable; trying another');
        this.#deps.onRetry?.(target.workerType, 'unreachable');
        continue;
      }
      switch (outcome.kind) {
        case 'started': {
          const accepted = operations.attemptAccepted(operationId, attemptId);
          // A fast job can claim, run and push its final state before this reply is read: it ran here.
          if (accepted.kind === 'stale' && operations.attemptWasClaimed(operationId, attemptId)) {
            log.info({ attempt: attempts }, 'dispatched (already finished)');
            return { kind: 'dispatched', workerId: worker.workerId, attempts };
          }
          if (accepted.kind === 'stale') {
            // Cancelled (or settled) while the start request was in flight: stop it there, at once.
            log.info({ reason: accepted.reason }, 'operation ended during dispatch; cancelling it on the worker');
            registry.markAvailable(worker.workerId, operationId);
            client.cancel(worker.endpointUrl, operationId, accepted.reason, this.#opts.startTimeoutMs).catch(() => undefined);
            return { kind: 'ended', status: accepted.op.status };
          }
          log.info({ attempt: attempts }, 'dispatched');
          return { kind: 'dispatched', workerId: worker.workerId, attempts };
        }
        case 'busy':
          exclude.add(worker.workerId);
          operations.attemptFailed(operationId, attemptId, 'abandoned', 'worker busy');
          registry.markBusy(worker.workerId, outcome.currentOperation);
          lastError = outcome.message;
          log.info({ attempt: attempts }, 'worker busy; trying another');
          this.#deps.onRetry?.(target.workerType, 'busy');
          continue;
        case 'refused':
          // The worker already ran this task_id (under an older attempt): never twice on one worker.
          exclude.add(worker.workerId);
          operations.attemptFailed(operationId, attemptId, 'abandoned', 'worker already ran this operation');
          registry.markAvailable(worker.workerId, operationId);
          lastError = outcome.message;
          log.info({ attempt: attempts }, 'worker already ran this operation; trying another');
          continue;
        case 'rejected':
          registry.markAvailable(worker.workerId, operationId);
          operations.attemptFailed(operationId, attemptId, 'rejected', outcome.message);
          log.warn({ status: outcome.status, message: outcome.message }, 'worker rejected the request');
          return { kind: 'rejected', workerId: worker.workerId, status: outcome.status, message: outcome.message };
      }
    }
    const status = operations.statusOf(operationId);
    if (status === 'completed' || status === 'failed' || status === 'cancelled') return { kind: 'ended', status };
    return {
      kind: 'no_worker',
      attempts,
      registeredWorkers: registry.list({ workerType: target.workerType }).length,
      lastError,
    };
  }
}
