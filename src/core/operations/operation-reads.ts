import type { Logger } from 'pino';
import { isTerminal, type MetricRecord, type Operation } from '../../contracts/index.js';
import { ResultsNotAvailableError, toError } from '../../contracts/errors.js';
import type { WorkerRegistry } from '../registry/worker-registry.js';
import type { WorkerClient } from '../worker-client.js';
import type { OperationBook } from './operation-book.js';
import type { OperationPage, OperationQuery, OperationStore } from './operation-store.js';

export interface OperationReadsDeps {
  book: OperationBook;
  store: OperationStore;
  registry: WorkerRegistry;
  client: WorkerClient;
  log: Logger;
  mono: () => number;
  /** Reads the op from its worker and applies what it says (WorkerReconciler.refresh). */
  refresh: (op: Operation) => Promise<Operation>;
  cacheTtlMs: number;
  readBudgetMs: number;
}

/**
 * What clients read: one op (from memory while active or lately ended, refreshed from its worker
 * within a budget), its metrics and result, and pages of history (from the store). Concurrent
 * refreshes of one op share a single request to its worker.
 */
export class OperationReads {
  readonly #d: OperationReadsDeps;
  readonly #inflight = new Map<string, Promise<Operation>>();

  constructor(deps: OperationReadsDeps) {
    this.#d = deps;
  }

  /** A page of history, from the store (after the writes queued so far landed). */
  async list(query: OperationQuery): Promise<OperationPage> {
    await this.#d.book.settledAll();
    return this.#d.store.list(query);
  }

  async getRequest(operationId: string): Promise<unknown> {
    await this.#d.book.load1(operationId);
    await this.#d.book.settled(operationId).catch(() => undefined);
    return this.#d.store.getRequest(operationId);
  }

  /**
   * The op's current state. Active (and lately ended) ops are answered from memory, so the cached
   * status poll touches no store; a running op is refreshed from its worker when the cached copy
   * is older than the TTL (or always with forceRefresh); concurrent callers share one refresh, and
   * nobody waits longer than readBudgetMs for a slow worker: they get the last known state instead.
   * Only an op that ended long ago is read from the store.
   */
  async get(operationId: string, opts: { forceRefresh?: boolean } = {}): Promise<Operation> {
    const { book, mono } = this.#d;
    const stored = book.known(operationId) ?? (await book.load1(operationId));
    if (isTerminal(stored.status) || stored.status === 'queued') return stored;
    const cached = book.cache.get(operationId);
    if (!opts.forceRefresh && cached && mono() - cached.at < this.#d.cacheTtlMs) return cached.op;
    const refresh = this.singleflight(operationId, async () => {
      const op = await this.#d.refresh(stored);
      if (!isTerminal(op.status)) book.cache.set(operationId, { op, at: mono() });
      return op;
    });
    return this.#withinBudget(refresh, () => book.known(operationId) ?? stored);
  }

  /** Metrics after `cursor`: from the worker while it runs (within the read budget), from the store otherwise. */
  async metrics(operationId: string, cursor: number): Promise<{ metrics: MetricRecord[]; new_cursor: number }> {
    const { book, store, registry, client, log } = this.#d;
    const op = await book.load1(operationId);
    const worker = op.worker_id ? registry.get(op.worker_id) : undefined;
    const stored = async () => {
      await book.settled(operationId).catch(() => undefined);
      const metrics = await store.getMetrics(operationId, cursor);
      return { metrics, new_cursor: cursor + metrics.length };
    };
    if (op.status === 'running' && worker && worker.unreachableSince === null) {
      const remote = client.metrics(worker.endpointUrl, operationId, cursor).catch((err: unknown) => {
        log.debug({ operationId, err: toError(err).message }, 'metrics from worker failed; using stored');
        return stored();
      });
      return this.#withinBudget(remote, stored);
    }
    return stored();
  }

  /** The full result artifact of a completed op. */
  async results(operationId: string): Promise<unknown> {
    const { book, store } = this.#d;
    const op = await book.load1(operationId);
    await book.settled(operationId).catch(() => undefined);
    const result = await store.getResult(operationId);
    if (result === undefined) {
      throw new ResultsNotAvailableError(
        operationId,
        op.status === 'completed' ? 'the operation stored no result artifact' : `the operation is ${op.status}`,
      );
    }
    return result;
  }

  /** Runs `fn` for an op unless a run for it is in flight already (then shares that one). */
  singleflight(operationId: string, fn: () => Promise<Operation>): Promise<Operation> {
    const existing = this.#inflight.get(operationId);
    if (existing) return existing;
    const p = fn()
      .catch((err: unknown) => {
        this.#d.log.warn({ operationId, err: toError(err).message }, 'refresh failed');
        return this.#d.book.load1(operationId);
      })
      .finally(() => this.#inflight.delete(operationId));
    this.#inflight.set(operationId, p);
    return p;
  }

  /** Settles once the refreshes in flight have. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#inflight.values()]);
  }

  async #withinBudget<T>(work: Promise<T>, fallback: () => T | Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<T>((resolve, reject) => {
      timer = setTimeout(() => Promise.resolve().then(fallback).then(resolve, reject), this.#d.readBudgetMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
