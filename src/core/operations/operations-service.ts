import type { Logger } from 'pino';
import {
  emptyProgress,
  isTerminal,
  newOperationId,
  type MetricRecord,
  type Operation,
  type OperationMetadata,
  type WorkerHealthReport,
} from '../../contracts/index.js';
import { OperationNotCancellableError, OperationNotFoundError, ResultsNotAvailableError, toError } from '../errors.js';
import type { WorkerRecord, WorkerRegistry } from '../registry/worker-registry.js';
import { WorkerHttpError, type WorkerClient } from '../worker-client.js';
import type { OperationPage, OperationQuery, OperationStore } from './operation-store.js';

/** Hooks for monitoring (Prometheus counters etc.). */
export interface OperationListener {
  onCreated?(op: Operation): void;
  onTerminal?(op: Operation): void;
}

export interface OperationsServiceDeps {
  store: OperationStore;
  registry: WorkerRegistry;
  client: WorkerClient;
  log: Logger;
  now?: () => number;
  listener?: OperationListener;
}

export interface OperationsServiceOptions {
  /** A running op's cached copy is refreshed from its worker when older than this. @defaultValue 1000 */
  cacheTtlMs?: number;
  /** A running op that no registered worker claims for this long is failed ("worker lost"). @defaultValue 60000 */
  orphanTimeoutMs?: number;
  /** How often orphans are looked for. @defaultValue min(5000, orphanTimeoutMs / 4) */
  orphanSweepIntervalMs?: number;
  /** How long a cancel waits for the worker to confirm the op stopped. @defaultValue 3000 */
  cancelConfirmMs?: number;
}

/**
 * The backend's operations: creates and persists them, tracks them on their workers (cached
 * refresh), finalises them (status, result, metrics written to the store; worker freed) and
 * reconciles what the store believes with what workers report, so that no operation stays
 * `running` without a worker that claims it.
 */
export class OperationsService {
  readonly #store: OperationStore;
  readonly #registry: WorkerRegistry;
  readonly #client: WorkerClient;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #listener: OperationListener;
  readonly #opts: Required<OperationsServiceOptions>;
  /** Every pending/running op, mirrored from the store so health reports need no query. */
  readonly #active = new Map<string, Operation>();
  readonly #cache = new Map<string, { op: Operation; at: number }>();
  readonly #inflight = new Map<string, Promise<Operation>>();
  readonly #orphanSince = new Map<string, number>();
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(deps: OperationsServiceDeps, options: OperationsServiceOptions = {}) {
    this.#store = deps.store;
    this.#registry = deps.registry;
    this.#client = deps.client;
    this.#log = deps.log.child({ component: 'operations' });
    this.#now = deps.now ?? Date.now;
    this.#listener = deps.listener ?? {};
    const orphanTimeoutMs = options.orphanTimeoutMs ?? 60_000;
    this.#opts = {
      cacheTtlMs: 1_000,
      orphanTimeoutMs,
      orphanSweepIntervalMs: Math.max(50, Math.min(5_000, orphanTimeoutMs / 4)),
      cancelConfirmMs: 3_000,
      ...options,
    };
    this.#startedAt = this.#now();
    for (const op of this.#store.listActive()) this.#active.set(op.operation_id, op);
    if (this.#active.size > 0) {
      this.#log.info({ active: this.#active.size }, 'loaded active operations; waiting for their workers to re-register');
    }
  }

  start(): void {
    this.#timer ??= setInterval(() => this.sweepOrphans(), this.#opts.orphanSweepIntervalMs).unref();
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await Promise.allSettled([...this.#inflight.values()]);
    })());
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  #save(op: Operation): Operation {
    this.#store.update(op);
    if (isTerminal(op.status)) {
      this.#active.delete(op.operation_id);
      this.#cache.delete(op.operation_id);
      this.#orphanSince.delete(op.operation_id);
    } else {
      this.#active.set(op.operation_id, op);
    }
    return op;
  }

  #load(operationId: string): Operation {
    const op = this.#store.get(operationId);
    if (!op) throw new OperationNotFoundError(operationId);
    return op;
  }

  /** Creates and persists a pending operation with the request that produced it. */
  create(operationType: string, metadata: OperationMetadata, request: unknown): Operation {
    const op: Operation = {
      operation_id: newOperationId(operationType),
      operation_type: operationType,
      status: 'pending',
      worker_id: null,
      created_at: this.#iso(),
      started_at: null,
      completed_at: null,
      progress: emptyProgress(),
      metadata,
      error_message: null,
      result_summary: null,
    };
    this.#store.insert(op, request);
    this.#active.set(op.operation_id, op);
    this.#listener.onCreated?.(op);
    return op;
  }

  /** The worker accepted the op: it is running there. */
  markDispatched(operationId: string, workerId: string): Operation {
    const op = this.#load(operationId);
    return this.#save({ ...op, status: 'running', worker_id: workerId, started_at: op.started_at ?? this.#iso() });
  }

  /** Fails a non-terminal op with a reason; a terminal op is left as it is. */
  markFailed(operationId: string, message: string): Operation {
    const op = this.#load(operationId);
    if (isTerminal(op.status)) return op;
    return this.#terminal(op, { status: 'failed', error_message: message });
  }

  #terminal(op: Operation, patch: Partial<Operation>): Operation {
    const final = this.#save({ ...op, completed_at: this.#iso(), ...patch });
    if (final.worker_id) this.#registry.markAvailable(final.worker_id, final.operation_id);
    this.#log.info(
      { operationId: final.operation_id, workerId: final.worker_id, status: final.status, error: final.error_message },
      'operation finished',
    );
    this.#listener.onTerminal?.(final);
    return final;
  }

  list(query: OperationQuery): OperationPage {
    return this.#store.list(query);
  }

  getRequest(operationId: string): unknown {
    this.#load(operationId);
    return this.#store.getRequest(operationId);
  }

  /**
   * The op's current state. A non-terminal op is refreshed from its worker when the cached copy is
   * older than the TTL (or always with forceRefresh); concurrent callers share one refresh.
   */
  async get(operationId: string, opts: { forceRefresh?: boolean } = {}): Promise<Operation> {
    const stored = this.#load(operationId);
    if (isTerminal(stored.status)) return stored;
    const cached = this.#cache.get(operationId);
    if (!opts.forceRefresh && cached && this.#now() - cached.at < this.#opts.cacheTtlMs) return cached.op;
    return this.#singleflight(operationId, async () => {
      const op = await this.#refresh(stored);
      if (!isTerminal(op.status)) this.#cache.set(operationId, { op, at: this.#now() });
      return op;
    });
  }

  #singleflight(operationId: string, fn: () => Promise<Operation>): Promise<Operation> {
    const existing = this.#inflight.get(operationId);
    if (existing) return existing;
    const p = fn().finally(() => this.#inflight.delete(operationId));
    this.#inflight.set(operationId, p);
    return p;
  }

  async #refresh(op: Operation): Promise<Operation> {
    const worker = op.worker_id ? this.#registry.get(op.worker_id) : undefined;
    if (!worker || worker.status === 'temporarily_unavailable') return op;
    let remote: Operation;
    try {
      remote = await this.#client.getOperation(worker.endpointUrl, op.operation_id);
    } catch (err) {
      if (err instanceof WorkerHttpError && err.status === 404) {
        return this.markFailed(op.operation_id, `worker ${worker.workerId} no longer knows this operation (it was restarted?)`);
      }
      this.#log.debug({ operationId: op.operation_id, err: toError(err).message }, 'refresh from worker failed');
      return op;
    }
    const current = this.#store.get(op.operation_id) ?? op;
    if (isTerminal(current.status)) return current;
    if (isTerminal(remote.status)) return this.#finalize(current, remote, worker);
    return this.#save({
      ...current,
      status: remote.status === 'running' ? 'running' : current.status,
      progress: remote.progress,
      started_at: current.started_at ?? remote.started_at,
    });
  }

  /** Writes a terminal state reported by the worker, with its metrics and full result, then frees the worker. */
  async #finalize(op: Operation, remote: Operation, worker: WorkerRecord): Promise<Operation> {
    try {
      const { metrics } = await this.#client.metrics(worker.endpointUrl, op.operation_id, 0);
      if (metrics.length > 0) this.#store.saveMetrics(op.operation_id, metrics);
    } catch (err) {
      this.#log.warn({ operationId: op.operation_id, err: toError(err).message }, 'could not fetch final metrics');
    }
    if (remote.status === 'completed') {
      try {
        const result = await this.#client.results(worker.endpointUrl, op.operation_id);
        if (result !== null) this.#store.saveResult(op.operation_id, result);
      } catch (err) {
        this.#log.warn({ operationId: op.operation_id, err: toError(err).message }, 'could not fetch result artifact');
      }
    }
    const current = this.#store.get(op.operation_id) ?? op;
    if (isTerminal(current.status)) return current;
    return this.#terminal(current, {
      status: remote.status,
      worker_id: current.worker_id ?? worker.workerId,
      started_at: current.started_at ?? remote.started_at,
      completed_at: remote.completed_at ?? this.#iso(),
      progress: remote.progress,
      error_message: remote.error_message ?? current.error_message,
      result_summary: remote.result_summary,
    });
  }

  /** Asks the worker where an op stands and settles it if it ended (or the worker never heard of it). */
  async #reconcile(op: Operation, worker: WorkerRecord, why: string): Promise<Operation> {
    return this.#singleflight(op.operation_id, async () => {
      let remote: Operation;
      try {
        remote = await this.#client.getOperation(worker.endpointUrl, op.operation_id);
      } catch (err) {
        if (err instanceof WorkerHttpError && err.status === 404) {
          return this.markFailed(op.operation_id, `worker ${worker.workerId} ${why} and does not know this operation`);
        }
        this.#log.debug({ operationId: op.operation_id, err: toError(err).message }, 'reconcile: worker unreachable');
        return op;
      }
      if (isTerminal(remote.status)) return this.#finalize(op, remote, worker);
      return op;
    });
  }

  /** Metrics after `cursor`: from the worker while it runs, from the store once finished. */
  async metrics(operationId: string, cursor: number): Promise<{ metrics: MetricRecord[]; new_cursor: number }> {
    const op = this.#load(operationId);
    const worker = op.worker_id ? this.#registry.get(op.worker_id) : undefined;
    if (!isTerminal(op.status) && worker) {
      try {
        return await this.#client.metrics(worker.endpointUrl, operationId, cursor);
      } catch (err) {
        this.#log.debug({ operationId, err: toError(err).message }, 'metrics from worker failed; using stored');
      }
    }
    const metrics = this.#store.getMetrics(operationId, cursor);
    return { metrics, new_cursor: cursor + metrics.length };
  }

  /** The full result artifact of a completed op. */
  results(operationId: string): unknown {
    const op = this.#load(operationId);
    const result = this.#store.getResult(operationId);
    if (result === undefined) {
      throw new ResultsNotAvailableError(
        operationId,
        op.status === 'completed' ? 'the operation stored no result artifact' : `the operation is ${op.status}`,
      );
    }
    return result;
  }

  /** Cancels on the worker and ends the op `cancelled` (or as the worker reports, if it finished first). */
  async cancel(operationId: string, reason?: string): Promise<Operation> {
    const op = this.#load(operationId);
    if (op.status === 'cancelled') return op;
    if (isTerminal(op.status)) throw new OperationNotCancellableError(operationId, op.status);
    const message = reason ? `Cancelled: ${reason}` : 'Cancelled by user';
    const worker = op.worker_id ? this.#registry.get(op.worker_id) : undefined;
    if (!worker) return this.#terminal(op, { status: 'cancelled', error_message: message });
    try {
      await this.#client.cancel(worker.endpointUrl, operationId, reason);
    } catch (err) {
      this.#log.warn({ operationId, workerId: worker.workerId, err: toError(err).message }, 'cancel on worker failed');
      return this.#terminal(op, { status: 'cancelled', error_message: `${message} (worker did not confirm)` });
    }
    const deadline = this.#now() + this.#opts.cancelConfirmMs;
    for (;;) {
      try {
        const remote = await this.#client.getOperation(worker.endpointUrl, operationId);
        if (isTerminal(remote.status)) {
          return this.#finalize(op, { ...remote, error_message: remote.error_message ?? message }, worker);
        }
      } catch (err) {
        if (err instanceof WorkerHttpError && err.status === 404) break;
      }
      if (this.#now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const current = this.#store.get(operationId) ?? op;
    if (isTerminal(current.status)) return current;
    return this.#terminal(current, { status: 'cancelled', error_message: `${message} (worker did not confirm in time)` });
  }

  /**
   * A worker answered a health check. Settles ops the store assigns to it that it no longer runs,
   * and re-attaches the op it says it runs.
   */
  async onHealthReport(worker: WorkerRecord, report: WorkerHealthReport): Promise<void> {
    const claimed = report.current_operation;
    const tasks: Promise<unknown>[] = [];
    for (const op of this.#active.values()) {
      if (op.worker_id === worker.workerId && op.operation_id !== claimed && op.status === 'running') {
        tasks.push(this.#reconcile(op, worker, `reported ${claimed ? `operation ${claimed}` : 'idle'}`));
      }
    }
    if (claimed) this.#attach(worker, claimed);
    await Promise.allSettled(tasks);
  }

  #attach(worker: WorkerRecord, operationId: string): void {
    const op = this.#active.get(operationId);
    if (!op) {
      const stored = this.#store.get(operationId);
      if (stored && isTerminal(stored.status)) {
        // The backend settled it (cancelled, or failed as lost) while the worker still runs it: stop the worker.
        this.#log.warn({ operationId, workerId: worker.workerId, status: stored.status }, 'worker runs a finished operation; cancelling it there');
        this.#client.cancel(worker.endpointUrl, operationId, `operation already ${stored.status}`).catch(() => undefined);
      }
      return;
    }
    this.#orphanSince.delete(operationId);
    if (op.worker_id !== worker.workerId || op.status !== 'running') {
      this.#log.info({ operationId, workerId: worker.workerId }, 'operation re-attached to its worker');
      this.#save({ ...op, status: 'running', worker_id: worker.workerId, started_at: op.started_at ?? this.#iso() });
    }
    this.#registry.markBusy(worker.workerId, operationId);
  }

  /** A worker (re-)registered, possibly saying which op it runs. */
  async onWorkerRegistered(worker: WorkerRecord, currentOperationId: string | null, replacedWorkerId: string | null): Promise<void> {
    if (currentOperationId) this.#attach(worker, currentOperationId);
    const tasks: Promise<unknown>[] = [];
    for (const op of [...this.#active.values()]) {
      if (op.operation_id === currentOperationId) continue;
      if (op.worker_id === worker.workerId && op.status === 'running') {
        tasks.push(this.#reconcile(op, worker, 're-registered idle'));
      } else if (replacedWorkerId !== null && op.worker_id === replacedWorkerId) {
        this.markFailed(op.operation_id, `worker lost: ${replacedWorkerId} was replaced by ${worker.workerId} at the same endpoint`);
      }
    }
    await Promise.allSettled(tasks);
  }

  /** A worker was removed after being unavailable too long: whatever it ran is lost. */
  onWorkerRemoved(worker: WorkerRecord): void {
    for (const op of [...this.#active.values()]) {
      if (op.worker_id === worker.workerId) {
        this.markFailed(op.operation_id, `worker lost: ${worker.workerId} stopped answering health checks and was removed`);
      }
    }
  }

  /** Fails running ops that no registered worker has claimed for orphanTimeoutMs. */
  sweepOrphans(): void {
    const now = this.#now();
    for (const op of [...this.#active.values()]) {
      const fromBeforeStart = Date.parse(op.created_at) < this.#startedAt;
      if (op.status === 'pending' && !fromBeforeStart) continue;
      const worker = op.worker_id ? this.#registry.get(op.worker_id) : undefined;
      if (worker) {
        this.#orphanSince.delete(op.operation_id);
        continue;
      }
      const since = this.#orphanSince.get(op.operation_id) ?? now;
      this.#orphanSince.set(op.operation_id, since);
      if (now - since >= this.#opts.orphanTimeoutMs) {
        this.markFailed(
          op.operation_id,
          `worker lost: no worker claimed this operation within ${Math.round(this.#opts.orphanTimeoutMs / 1000)} s` +
            (op.worker_id ? ` (it ran on ${op.worker_id})` : ' (it was never dispatched)'),
        );
      }
    }
  }

  activeCount(): number {
    return this.#active.size;
  }
}
