import type { Logger } from 'pino';
import {
  isTerminal,
  type MetricRecord,
  type Operation,
  type OperationMetadata,
  type OperationReport,
  type OperationStatus,
} from '../../contracts/index.js';
import { OperationNotFoundError } from '../../contracts/errors.js';
import type { WorkerRecord, WorkerRegistry } from '../registry/worker-registry.js';
import type { WorkerClient } from '../worker-client.js';
import { AttemptReports, type ReportOutcome } from './attempt-reports.js';
import { currentAttempt } from './attempts.js';
import { OperationBook, type OperationListener } from './operation-book.js';
import type { OperationPage, OperationQuery, OperationStore, QueuedRow } from './operation-store.js';
import { OperationCancel } from './operation-cancel.js';
import { OperationReads } from './operation-reads.js';
import { WorkerReconciler } from './worker-reconciler.js';

export type { OperationListener } from './operation-book.js';
export type { ReportOutcome } from './attempt-reports.js';

export interface OperationsServiceDeps {
  store: OperationStore;
  registry: WorkerRegistry;
  client: WorkerClient;
  log: Logger;
  /** Wall clock for timestamps (ISO strings on operations). @defaultValue Date.now */
  now?: () => number;
  /** Monotonic clock for timers (orphan timeout, budgets). @defaultValue performance.now */
  monotonicNow?: () => number;
  listener?: OperationListener;
}

export interface OperationsServiceOptions {
  /** A running op's cached copy is refreshed from its worker when older than this. @defaultValue 1000 */
  cacheTtlMs?: number;
  /**
   * A running op whose worker is unreachable or gone for this long is settled: re-queued when it has
   * attempts left, failed ("worker lost") otherwise. @defaultValue 60000
   */
  orphanTimeoutMs?: number;
  /** How often orphans are looked for. @defaultValue min(5000, orphanTimeoutMs / 4) */
  orphanSweepIntervalMs?: number;
  /** How long a cancel waits for the worker to confirm the op stopped. @defaultValue 3000 */
  cancelConfirmMs?: number;
  /** How long a status or metrics read waits for a worker before answering from the last known state. @defaultValue 300 */
  readBudgetMs?: number;
  /** How long after a claim a worker's idle report is not taken as "lost" (a hand-over in flight). @defaultValue 5000 */
  handoverGraceMs?: number;
  /** Attempts an operation gets before a lost worker fails it. @defaultValue op.max_attempts ?? 1 */
  maxAttempts?: (op: Operation) => number;
  /**
   * Operation types the backend runs itself (no worker, never dispatched: a sweep's parent). The
   * orphan sweep leaves them alone; their owner moves them on with `advance`. @defaultValue ['sweep']
   */
  selfManagedTypes?: readonly string[];
}

/**
 * The backend's operations: creates them, tracks their dispatch attempts (fencing tokens), takes
 * the reports workers push or the backend polls, and reconciles what the backend believes with
 * what workers report. The parts: OperationBook (the in-memory authority over active ops and the
 * serialized writes to the store), AttemptReports (attempts and reports), WorkerReconciler
 * (workers coming and going, orphans). Decisions are synchronous on the in-memory state; a caller
 * whose next step depends on a change being durable awaits `persisted(operationId)`.
 */
export class OperationsService {
  readonly #registry: WorkerRegistry;
  readonly #log: Logger;
  readonly #mono: () => number;
  readonly #opts: Required<OperationsServiceOptions>;
  readonly #book: OperationBook;
  readonly #reports: AttemptReports;
  readonly #workers: WorkerReconciler;
  readonly #reads: OperationReads;
  readonly #cancel: OperationCancel;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(deps: OperationsServiceDeps, options: OperationsServiceOptions = {}) {
    this.#registry = deps.registry;
    this.#log = deps.log.child({ component: 'operations' });
    const now = deps.now ?? Date.now;
    this.#mono = deps.monotonicNow ?? (() => performance.now());
    const orphanTimeoutMs = options.orphanTimeoutMs ?? 60_000;
    this.#opts = {
      cacheTtlMs: 1_000,
      orphanTimeoutMs,
      orphanSweepIntervalMs: Math.max(50, Math.min(5_000, orphanTimeoutMs / 4)),
      cancelConfirmMs: 3_000,
      readBudgetMs: 300,
      handoverGraceMs: 5_000,
      maxAttempts: (op) => op.max_attempts ?? 1,
      selfManagedTypes: ['sweep'],
      ...options,
    };
    const log = this.#log;
    this.#book = new OperationBook({ store: deps.store, registry: deps.registry, log, now, mono: this.#mono, listener: deps.listener ?? {} });
    this.#reports = new AttemptReports({ book: this.#book, registry: deps.registry, log, maxAttempts: this.#opts.maxAttempts });
    this.#workers = new WorkerReconciler({
      book: this.#book,
      reports: this.#reports,
      registry: deps.registry,
      client: deps.client,
      log,
      now,
      mono: this.#mono,
      singleflight: (id, fn) => this.#reads.singleflight(id, fn),
      orphanTimeoutMs: this.#opts.orphanTimeoutMs,
      handoverGraceMs: this.#opts.handoverGraceMs,
      selfManagedTypes: this.#opts.selfManagedTypes,
    });
    this.#reads = new OperationReads({
      book: this.#book,
      store: deps.store,
      registry: deps.registry,
      client: deps.client,
      log,
      mono: this.#mono,
      refresh: (op) => this.#workers.refresh(op),
      cacheTtlMs: this.#opts.cacheTtlMs,
      readBudgetMs: this.#opts.readBudgetMs,
    });
    this.#cancel = new OperationCancel({
      book: this.#book,
      registry: deps.registry,
      client: deps.client,
      log,
      mono: this.#mono,
      applyRemote: (id, remote, worker) => this.#workers.applyRemote(id, remote, worker),
      cancelConfirmMs: this.#opts.cancelConfirmMs,
    });
  }

  /** Loads the active operations from the store; call once before anything else. */
  async load(): Promise<void> {
    await this.#book.load();
    if (this.#book.active.size > 0) {
      this.#log.info({ active: this.#book.active.size }, 'loaded active operations; waiting for their workers to re-register');
    }
  }

  start(): void {
    this.#timer ??= setInterval(() => this.sweepOrphans(), this.#opts.orphanSweepIntervalMs).unref();
  }

  /** Stops the orphan sweep and waits for refreshes in flight and every queued store write. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.#reads.idle();
      await this.#book.drain();
    })());
  }

  /** Resolves once the op's changes so far are in the store; rejects when the last write failed. */
  persisted(operationId: string): Promise<void> {
    return this.#book.settled(operationId);
  }

  /** Queues a write keyed like the op's own (so it lands after them), e.g. a sweep's state under its parent's id. */
  persist(key: string, write: (store: OperationStore) => Promise<unknown>): Promise<void> {
    return this.#book.persist(key, write);
  }

  // ── Creating and moving operations (synchronous decisions, writes queued) ──────────────────────

  /**
   * Creates an operation with the request that produced it: `pending` (dispatched right away by the
   * caller) or `queued` with its dispatch target, to wait for a worker. Its insert is queued:
   * await `persisted` before answering the submitter.
   */
  create(
    operationType: string,
    metadata: OperationMetadata,
    request: unknown,
    opts: { status?: 'pending' | 'queued'; priority?: number; maxAttempts?: number; dispatch?: unknown } = {},
  ): { op: Operation; seq: number } {
    return this.#book.create(operationType, metadata, request, opts);
  }

  /** An active op's place and dispatch target (from memory). */
  queuedRow(operationId: string): QueuedRow | undefined {
    return this.#book.queuedRow(operationId);
  }

  /** Every queued op in dispatch order (to rebuild the queue at start). */
  queuedRows(): QueuedRow[] {
    return [...this.#book.active.values()]
      .filter((op) => op.status === 'queued')
      .map((op) => this.#book.queuedRow(op.operation_id))
      .filter((r): r is QueuedRow => r !== undefined)
      .sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  }

  /** A worker refused the submission itself (bad request): it never becomes history. */
  markRejected(operationId: string, message: string): void {
    this.#log.info({ operationId, message }, 'submission rejected by the worker; not stored');
    const op = this.#book.delete(operationId);
    if (op?.worker_id) this.#registry.markAvailable(op.worker_id, operationId);
    if (op) this.#book.notifyRejected(op, message);
  }

  /**
   * Opens a new attempt on `workerId`; await `persisted` before the start request goes out.
   * `prefetched`: given ahead to a busy worker in a report reply (see Scheduler.prefetchFor).
   */
  beginAttempt(operationId: string, workerId: string, opts: { prefetched?: boolean } = {}): { op: Operation; attemptId: string } | undefined {
    return this.#reports.beginAttempt(operationId, workerId, opts);
  }

  /** Re-queues a job given ahead that its worker will not start (see AttemptReports.releasePrefetched). */
  releasePrefetched(operationId: string, attemptId: string, detail: string): boolean {
    return this.#reports.releasePrefetched(operationId, attemptId, detail);
  }

  /** The worker answered the start request with 200: the attempt runs, unless the op moved on meanwhile. */
  attemptAccepted(operationId: string, attemptId: string): ReportOutcome {
    return this.report(operationId, { attempt_id: attemptId, status: 'running' });
  }

  /** True when the worker claimed this attempt (its start reply may have been lost or late). */
  attemptWasClaimed(operationId: string, attemptId: string): boolean {
    return this.#reports.attemptWasClaimed(operationId, attemptId);
  }

  /** True while `attemptId` is the op's current, open attempt (nothing settled it meanwhile). */
  attemptIsCurrent(operationId: string, attemptId: string): boolean {
    const op = this.#book.active.get(operationId);
    const a = op && currentAttempt(op);
    return a?.attempt_id === attemptId && a.ended_at === null;
  }

  attemptFailed(operationId: string, attemptId: string, outcome: 'abandoned' | 'rejected', detail: string): Operation | undefined {
    return this.#reports.attemptFailed(operationId, attemptId, outcome, detail);
  }

  requeue(operationId: string, detail: string | null = null): Operation | undefined {
    return this.#reports.requeue(operationId, detail);
  }

  /** A report about an attempt of an op known in memory (see AttemptReports.report). */
  report(operationId: string, report: OperationReport): ReportOutcome {
    return this.#reports.report(operationId, report);
  }

  /**
   * A worker's report as the HTTP route takes it: an op not known in memory is looked up in the
   * store (404 when missing, stale otherwise). For a known op it decides without waiting for I/O,
   * so the caller can hand the freed worker its next job before anything else runs; the caller
   * awaits `persisted` before replying.
   */
  async receiveReport(operationId: string, report: OperationReport): Promise<ReportOutcome> {
    if (!this.#book.known(operationId)) {
      const stored = await this.#book.find(operationId);
      if (!stored) throw new OperationNotFoundError(operationId);
      if (!this.#book.known(operationId)) {
        return { kind: 'stale', op: stored, reason: isTerminal(stored.status) ? `operation already ${stored.status}` : 'operation not active here' };
      }
    }
    return this.#reports.report(operationId, report);
  }

  markFailed(operationId: string, message: string): Operation | undefined {
    return this.#reports.markFailed(operationId, message);
  }

  /**
   * Moves an operation the backend runs itself (a selfManagedTypes one, e.g. a sweep's parent):
   * a new status (null: keep it) and fields. Refused (undefined) for worker-run types, unknown
   * ops, and where the state machine says no.
   */
  advance(operationId: string, to: OperationStatus | null, patch: Partial<Operation> = {}): Operation | undefined {
    const op = this.#book.known(operationId);
    if (!op || !this.#opts.selfManagedTypes.includes(op.operation_type)) return undefined;
    return this.#book.transition(operationId, to, () => patch);
  }

  // ── Workers coming and going (WorkerReconciler) ─────────────────────────────────────────────────

  onHealthReport(worker: WorkerRecord, report: { current_operation: string | null; current_attempt_id?: string | null | undefined }): Promise<void> {
    return this.#workers.onHealthReport(worker, report);
  }

  onWorkerRegistered(
    worker: WorkerRecord,
    current: { operationId: string | null; attemptId: string | null },
    info: { replacedWorkerId: string | null; restarted: boolean },
  ): Promise<void> {
    return this.#workers.onWorkerRegistered(worker, current, info);
  }

  onWorkerUnreachable(worker: WorkerRecord): void {
    this.#workers.onWorkerUnreachable(worker);
  }

  onWorkerRemoved(worker: WorkerRecord): void {
    this.#workers.onWorkerRemoved(worker);
  }

  sweepOrphans(): void {
    this.#workers.sweepOrphans();
  }

  // ── Reads (OperationReads) ──────────────────────────────────────────────────────────────────────

  /** A page of history, from the store (after the writes queued so far landed). */
  list(query: OperationQuery): Promise<OperationPage> {
    return this.#reads.list(query);
  }

  getRequest(operationId: string): Promise<unknown> {
    return this.#reads.getRequest(operationId);
  }

  /** The op's current state: from memory, refreshed from its worker within the read budget (see OperationReads.get). */
  get(operationId: string, opts: { forceRefresh?: boolean } = {}): Promise<Operation> {
    return this.#reads.get(operationId, opts);
  }

  metrics(operationId: string, cursor: number): Promise<{ metrics: MetricRecord[]; new_cursor: number }> {
    return this.#reads.metrics(operationId, cursor);
  }

  results(operationId: string): Promise<unknown> {
    return this.#reads.results(operationId);
  }

  // ── Cancel (OperationCancel) ─────────────────────────────────────────────────────────────────────

  /**
   * Cancels the op (see OperationCancel.cancel) and answers once the outcome is durable.
   */
  async cancel(operationId: string, reason?: string): Promise<Operation> {
    const op = await this.#cancel.cancel(operationId, reason);
    await this.persisted(operationId);
    return op;
  }

  // ── In-memory views ─────────────────────────────────────────────────────────────────────────────

  /** The op as known in memory (active or ended lately), without asking its worker or the store. */
  peek(operationId: string): Operation {
    return this.#book.peek(operationId);
  }

  /** The op as known in memory, or undefined. */
  known(operationId: string): Operation | undefined {
    return this.#book.known(operationId);
  }

  /** The op from memory, else from the store; undefined when it does not exist. */
  find(operationId: string): Promise<Operation | undefined> {
    return this.#book.find(operationId);
  }

  /** The op's status as last known in memory. */
  statusOf(operationId: string): OperationStatus {
    return this.#book.peek(operationId).status;
  }

  activeCount(): number {
    return this.#book.active.size;
  }

  /** Active ops (queued, pending, running), oldest first. */
  active(): Operation[] {
    return [...this.#book.active.values()];
  }
}
