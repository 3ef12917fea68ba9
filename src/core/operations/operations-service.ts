import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  emptyProgress,
  isTerminal,
  newOperationId,
  type Attempt,
  type AttemptOutcome,
  type MetricRecord,
  type Operation,
  type OperationMetadata,
  type OperationReport,
  type OperationStatus,
} from '../../contracts/index.js';
import { OperationNotCancellableError, OperationNotFoundError, ResultsNotAvailableError, toError } from '../../contracts/errors.js';
import type { WorkerRecord, WorkerRegistry } from '../registry/worker-registry.js';
import { OperationUnknownToWorkerError, type WorkerClient } from '../worker-client.js';
import { canTransition } from './operation-state.js';
import type { OperationPage, OperationQuery, OperationStore, QueuedRow } from './operation-store.js';

/** Hooks for monitoring (Prometheus counters etc.) and for the queue. */
export interface OperationListener {
  onCreated?(op: Operation): void;
  onTerminal?(op: Operation): void;
  /** An operation went (back) to `queued`. */
  onQueued?(op: Operation): void;
  /** A worker refused the submission (bad request): the op was deleted, it is not history. */
  onRejected?(op: Operation, message: string): void;
}

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

/** What the backend did with a worker's report. */
export type ReportOutcome =
  | { kind: 'accepted'; op: Operation }
  /** The report is from an attempt that is not the op's current one (or the op already ended). */
  | { kind: 'stale'; op: Operation; reason: string };

function newAttemptId(): string {
  return `att_${randomBytes(6).toString('hex')}`;
}

function currentAttempt(op: Operation): Attempt | undefined {
  return op.attempts?.at(-1);
}

/**
 * The backend's operations: creates and persists them, tracks their dispatch attempts (fencing
 * tokens), takes the reports workers push or the backend polls, and reconciles what the store
 * believes with what workers report, so that no operation stays `running` without a worker that
 * claims it. Every status change goes through #transition, which enforces the state machine
 * (operation-state.ts): terminal states are final.
 */
export class OperationsService {
  readonly #store: OperationStore;
  readonly #registry: WorkerRegistry;
  readonly #client: WorkerClient;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #mono: () => number;
  readonly #listener: OperationListener;
  readonly #opts: Required<OperationsServiceOptions>;
  /** Every queued/pending/running op, mirrored from the store so health reports need no query. */
  readonly #active = new Map<string, Operation>();
  readonly #cache = new Map<string, { op: Operation; at: number }>();
  readonly #inflight = new Map<string, Promise<Operation>>();
  /** Monotonic time since when an op's worker has been unreachable or unknown. */
  readonly #orphanSince = new Map<string, number>();
  readonly #startedAtWall: number;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(deps: OperationsServiceDeps, options: OperationsServiceOptions = {}) {
    this.#store = deps.store;
    this.#registry = deps.registry;
    this.#client = deps.client;
    this.#log = deps.log.child({ component: 'operations' });
    this.#now = deps.now ?? Date.now;
    this.#mono = deps.monotonicNow ?? (() => performance.now());
    this.#listener = deps.listener ?? {};
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
    this.#startedAtWall = this.#now();
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

  #load(operationId: string): Operation {
    const op = this.#active.get(operationId) ?? this.#store.get(operationId);
    if (!op) throw new OperationNotFoundError(operationId);
    return op;
  }

  /**
   * The one way an operation's state changes. Refuses (returns undefined) a change the state
   * machine does not allow from the op's latest state; a terminal op is never written again.
   */
  #transition(operationId: string, to: OperationStatus | null, patch: (op: Operation) => Partial<Operation> = () => ({})): Operation | undefined {
    const op = this.#active.get(operationId) ?? this.#store.get(operationId);
    if (!op) return undefined;
    const target = to ?? op.status;
    if (!canTransition(op.status, target)) return undefined;
    const next: Operation = { ...op, ...patch(op), status: target };
    if (isTerminal(target)) {
      next.completed_at ??= this.#iso();
      if (target === 'completed') next.error_message = null;
      next.status_detail = null;
    }
    if (!this.#store.update(next)) {
      // The store says it is terminal already (another path settled it): drop our copy.
      this.#forget(operationId);
      return undefined;
    }
    if (isTerminal(target)) {
      this.#forget(operationId);
      if (next.worker_id) this.#registry.markAvailable(next.worker_id, operationId);
      this.#log.info(
        { operationId, workerId: next.worker_id, status: target, error: next.error_message },
        'operation finished',
      );
      this.#listener.onTerminal?.(next);
    } else {
      this.#active.set(operationId, next);
      if (this.#cache.has(operationId)) this.#cache.set(operationId, { op: next, at: this.#mono() });
      if (target === 'queued' && op.status !== 'queued') this.#listener.onQueued?.(next);
    }
    return next;
  }

  #forget(operationId: string): void {
    this.#active.delete(operationId);
    this.#cache.delete(operationId);
    this.#orphanSince.delete(operationId);
  }

  #endAttempt(op: Operation, attemptId: string, outcome: AttemptOutcome, detail: string | null = null): Attempt[] {
    return (op.attempts ?? []).map((a) =>
      a.attempt_id === attemptId && a.ended_at === null ? { ...a, outcome, ended_at: this.#iso(), detail } : a,
    );
  }

  /**
   * Creates and persists an operation with the request that produced it: `pending` (dispatched right
   * away by the caller) or `queued` with its dispatch target, to wait for a worker.
   */
  create(
    operationType: string,
    metadata: OperationMetadata,
    request: unknown,
    opts: { status?: 'pending' | 'queued'; priority?: number; maxAttempts?: number; dispatch?: unknown } = {},
  ): { op: Operation; seq: number } {
    const op: Operation = {
      operation_id: newOperationId(operationType),
      operation_type: operationType,
      status: opts.status ?? 'pending',
      worker_id: null,
      created_at: this.#iso(),
      started_at: null,
      completed_at: null,
      progress: emptyProgress(),
      metadata,
      error_message: null,
      result_summary: null,
      status_detail: null,
      attempts: [],
      priority: opts.priority ?? 0,
      max_attempts: opts.maxAttempts ?? 1,
    };
    const seq = this.#store.insert(op, request, opts.dispatch);
    this.#active.set(op.operation_id, op);
    this.#listener.onCreated?.(op);
    return { op, seq };
  }

  /** A queued op's place and dispatch target, from the store. */
  queuedRow(operationId: string): QueuedRow | undefined {
    return this.#store.dispatchOf(operationId);
  }

  /** Every queued op in dispatch order (to rebuild the queue at start). */
  queuedRows(): QueuedRow[] {
    return this.#store.listQueued();
  }

  /**
   * A worker refused the submission itself (bad request): it never becomes history. The op is
   * forgotten entirely and the caller answers 4xx.
   */
  markRejected(operationId: string, message: string): void {
    const op = this.#active.get(operationId);
    this.#log.info({ operationId, message }, 'submission rejected by the worker; not stored');
    this.#store.delete(operationId);
    this.#forget(operationId);
    if (op?.worker_id) this.#registry.markAvailable(op.worker_id, operationId);
    if (op) this.#listener.onRejected?.(op, message);
  }

  // ── Dispatch attempts ────────────────────────────────────────────────────────────────────────

  /**
   * Opens a new attempt on `workerId` (persisted before the start request goes out, so a restarted
   * backend still recognises the worker's claim). Undefined when the op can't be started any more
   * (cancelled meanwhile).
   */
  beginAttempt(operationId: string, workerId: string): { op: Operation; attemptId: string } | undefined {
    const attemptId = newAttemptId();
    const op = this.#transition(operationId, 'pending', (o) => ({
      worker_id: workerId,
      status_detail: null,
      attempts: [
        ...(o.attempts ?? []).map((a) => (a.ended_at === null ? { ...a, outcome: 'abandoned' as const, ended_at: this.#iso() } : a)),
        { attempt_id: attemptId, worker_id: workerId, started_at: this.#iso(), ended_at: null, outcome: 'offered' },
      ],
    }));
    return op ? { op, attemptId } : undefined;
  }

  /** The worker answered the start request with 200: the attempt runs, unless the op moved on meanwhile. */
  attemptAccepted(operationId: string, attemptId: string): ReportOutcome {
    return this.report(operationId, { attempt_id: attemptId, status: 'running' });
  }

  /**
   * True when the worker claimed this attempt (its start reply may have been lost or late): it runs,
   * or already ran to an end, there.
   */
  attemptWasClaimed(operationId: string, attemptId: string): boolean {
    const op = this.#active.get(operationId) ?? this.#store.get(operationId);
    const a = op?.attempts?.find((x) => x.attempt_id === attemptId);
    return a?.claimed_at !== undefined && a.claimed_at !== null;
  }

  /**
   * The start request failed (busy, unreachable, timed out, refused). The attempt is closed, so a
   * late claim from that worker is refused; the op goes back to `pending` for the next try.
   */
  attemptFailed(operationId: string, attemptId: string, outcome: 'abandoned' | 'rejected', detail: string): Operation | undefined {
    const op = this.#active.get(operationId);
    if (!op || currentAttempt(op)?.attempt_id !== attemptId) return op;
    return this.#transition(operationId, op.status === 'running' ? 'running' : 'pending', (o) => ({
      worker_id: null,
      attempts: this.#endAttempt(o, attemptId, outcome, detail),
    }));
  }

  /** Back to the queue (no worker free, or a retry after a lost worker). */
  requeue(operationId: string, detail: string | null = null): Operation | undefined {
    return this.#transition(operationId, 'queued', () => ({ worker_id: null, status_detail: detail, progress: emptyProgress() }));
  }

  /**
   * A report about an attempt: the worker's claim (`running`) or final state (pushed by the worker,
   * read by a poll, or the start reply). Only the op's current attempt counts; anything else is stale.
   */
  report(operationId: string, report: OperationReport): ReportOutcome {
    const op = this.#active.get(operationId) ?? this.#store.get(operationId);
    if (!op) throw new OperationNotFoundError(operationId);
    const attempt = currentAttempt(op);
    if (isTerminal(op.status)) return { kind: 'stale', op, reason: `operation already ${op.status}` };
    if (!attempt || attempt.attempt_id !== report.attempt_id || attempt.ended_at !== null) {
      return { kind: 'stale', op, reason: `attempt ${report.attempt_id} is not the operation's current attempt` };
    }
    if (report.worker_id !== undefined && report.worker_id !== attempt.worker_id) {
      return { kind: 'stale', op, reason: `attempt ${report.attempt_id} belongs to ${attempt.worker_id}, not ${report.worker_id}` };
    }
    this.#orphanSince.delete(operationId);
    if (report.status === 'running') {
      const next = this.#transition(operationId, 'running', (o) => ({
        worker_id: attempt.worker_id,
        started_at: o.started_at ?? this.#iso(),
        status_detail: null,
        progress: report.progress ?? o.progress,
        attempts: (o.attempts ?? []).map((a) =>
          a.attempt_id === attempt.attempt_id ? { ...a, outcome: 'running' as const, claimed_at: a.claimed_at ?? this.#iso() } : a,
        ),
      }));
      if (next && op.status !== 'running') this.#registry.markBusy(attempt.worker_id, operationId);
      return next ? { kind: 'accepted', op: next } : { kind: 'stale', op, reason: 'transition refused' };
    }
    if (report.metrics && report.metrics.length > 0) this.#store.saveMetrics(operationId, report.metrics);
    if (report.status === 'completed' && report.artifact !== undefined) this.#store.saveResult(operationId, report.artifact);
    const final = this.#transition(operationId, report.status, (o) => ({
      worker_id: attempt.worker_id,
      started_at: o.started_at ?? attempt.started_at,
      // Timestamps come from the backend's clock: the worker's may be skewed.
      completed_at: this.#iso(),
      progress: report.progress ?? o.progress,
      error_message: report.status === 'completed' ? null : (report.error_message ?? o.error_message ?? null),
      result_summary: report.result_summary ?? null,
      // A final word from the current attempt means it ran, claimed or not.
      attempts: this.#endAttempt(o, attempt.attempt_id, report.status).map((a) =>
        a.attempt_id === attempt.attempt_id ? { ...a, claimed_at: a.claimed_at ?? this.#iso() } : a,
      ),
    }));
    return final ? { kind: 'accepted', op: final } : { kind: 'stale', op, reason: 'transition refused' };
  }

  /** Fails a non-terminal op with a reason; a terminal op is left as it is. */
  markFailed(operationId: string, message: string): Operation {
    return (
      this.#transition(operationId, 'failed', (o) => {
        const a = currentAttempt(o);
        return { error_message: message, attempts: a && a.ended_at === null ? this.#endAttempt(o, a.attempt_id, 'failed', message) : o.attempts };
      }) ?? this.#load(operationId)
    );
  }

  /**
   * The op's worker is gone (orphan timeout, restart): re-queue it when it has attempts left, fail
   * it otherwise. Whatever that worker still reports later is stale.
   */
  #lost(operationId: string, reason: string): Operation | undefined {
    const op = this.#active.get(operationId);
    if (!op) return undefined;
    const a = currentAttempt(op);
    const attempts = a && a.ended_at === null ? this.#endAttempt(op, a.attempt_id, 'lost', reason) : op.attempts;
    const used = (attempts ?? []).filter((x) => x.outcome !== 'abandoned' && x.outcome !== 'rejected').length;
    if (used < this.#opts.maxAttempts(op)) {
      this.#log.warn({ operationId, reason, attempts: used }, 'worker lost; operation re-queued');
      this.#transition(operationId, op.status, () => ({ attempts }));
      return this.requeue(operationId, `re-queued after attempt ${used}: ${reason}`);
    }
    return this.#transition(operationId, 'failed', () => ({ error_message: reason, attempts }));
  }

  // ── Reads ────────────────────────────────────────────────────────────────────────────────────

  list(query: OperationQuery): OperationPage {
    return this.#store.list(query);
  }

  getRequest(operationId: string): unknown {
    this.#load(operationId);
    return this.#store.getRequest(operationId);
  }

  /**
   * The op's current state. A running op is refreshed from its worker when the cached copy is older
   * than the TTL (or always with forceRefresh); concurrent callers share one refresh, and nobody waits
   * longer than readBudgetMs for a slow worker: they get the last known state instead.
   */
  async get(operationId: string, opts: { forceRefresh?: boolean } = {}): Promise<Operation> {
    const stored = this.#load(operationId);
    if (isTerminal(stored.status) || stored.status === 'queued') return stored;
    const cached = this.#cache.get(operationId);
    if (!opts.forceRefresh && cached && this.#mono() - cached.at < this.#opts.cacheTtlMs) return cached.op;
    const refresh = this.#singleflight(operationId, async () => {
      const op = await this.#refresh(stored);
      if (!isTerminal(op.status)) this.#cache.set(operationId, { op, at: this.#mono() });
      return op;
    });
    return this.#withinBudget(refresh, () => this.#active.get(operationId) ?? this.#store.get(operationId) ?? stored);
  }

  async #withinBudget<T>(work: Promise<T>, fallback: () => T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve(fallback()), this.#opts.readBudgetMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #singleflight(operationId: string, fn: () => Promise<Operation>): Promise<Operation> {
    const existing = this.#inflight.get(operationId);
    if (existing) return existing;
    const p = fn()
      .catch((err: unknown) => {
        this.#log.warn({ operationId, err: toError(err).message }, 'refresh failed');
        return this.#active.get(operationId) ?? this.#load(operationId);
      })
      .finally(() => this.#inflight.delete(operationId));
    this.#inflight.set(operationId, p);
    return p;
  }

  /** Reads the op from its worker and applies what it says (progress, or its final state). */
  async #refresh(op: Operation): Promise<Operation> {
    const attempt = currentAttempt(op);
    const worker = op.worker_id ? this.#registry.get(op.worker_id) : undefined;
    if (!worker || !attempt || worker.unreachableSince !== null || op.status !== 'running') return op;
    let remote: Operation;
    try {
      remote = await this.#client.getOperation(worker.endpointUrl, op.operation_id);
    } catch (err) {
      if (err instanceof OperationUnknownToWorkerError) {
        return this.#lost(op.operation_id, `worker lost: ${worker.workerId} no longer knows this operation (it was restarted?)`) ?? this.#load(op.operation_id);
      }
      this.#log.debug({ operationId: op.operation_id, err: toError(err).message }, 'refresh from worker failed');
      return op;
    }
    return this.#applyRemote(op.operation_id, remote, worker);
  }

  /** Applies an operation as a worker serves it: progress while running, the final state once ended. */
  async #applyRemote(operationId: string, remote: Operation, worker: WorkerRecord): Promise<Operation> {
    const current = this.#active.get(operationId);
    if (!current) return this.#load(operationId);
    const attempt = currentAttempt(current);
    if (remote.attempt_id && attempt && remote.attempt_id !== attempt.attempt_id) {
      this.#cancelStale(worker, operationId, `attempt ${remote.attempt_id} is stale`);
      return current;
    }
    if (!attempt) return current;
    if (!isTerminal(remote.status)) {
      if (current.status !== 'running') return current;
      return this.#transition(operationId, 'running', () => ({ progress: remote.progress })) ?? this.#load(operationId);
    }
    let metrics: MetricRecord[] | undefined;
    let artifact: unknown;
    try {
      metrics = (await this.#client.metrics(worker.endpointUrl, operationId, 0)).metrics;
    } catch (err) {
      this.#log.warn({ operationId, err: toError(err).message }, 'could not fetch final metrics');
    }
    if (remote.status === 'completed') {
      try {
        artifact = (await this.#client.results(worker.endpointUrl, operationId)) ?? undefined;
      } catch (err) {
        this.#log.warn({ operationId, err: toError(err).message }, 'could not fetch result artifact');
      }
    }
    const outcome = this.report(operationId, {
      attempt_id: attempt.attempt_id,
      status: remote.status as 'completed' | 'failed' | 'cancelled',
      progress: remote.progress,
      error_message: remote.error_message,
      result_summary: remote.result_summary,
      metrics,
      artifact,
    });
    return outcome.op;
  }

  /** Stops an attempt the backend no longer counts (best effort; the fencing token already makes its reports harmless). */
  #cancelStale(worker: WorkerRecord, operationId: string, why: string): void {
    this.#log.warn({ operationId, workerId: worker.workerId, why }, 'worker runs a stale attempt; cancelling it there');
    this.#client.cancel(worker.endpointUrl, operationId, `stale attempt: ${why}`).catch(() => undefined);
  }

  /** Metrics after `cursor`: from the worker while it runs (within the read budget), from the store otherwise. */
  async metrics(operationId: string, cursor: number): Promise<{ metrics: MetricRecord[]; new_cursor: number }> {
    const op = this.#load(operationId);
    const worker = op.worker_id ? this.#registry.get(op.worker_id) : undefined;
    const stored = () => {
      const metrics = this.#store.getMetrics(operationId, cursor);
      return { metrics, new_cursor: cursor + metrics.length };
    };
    if (op.status === 'running' && worker && worker.unreachableSince === null) {
      const remote = this.#client.metrics(worker.endpointUrl, operationId, cursor).catch((err: unknown) => {
        this.#log.debug({ operationId, err: toError(err).message }, 'metrics from worker failed; using stored');
        return stored();
      });
      return this.#withinBudget(remote, stored);
    }
    return stored();
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

  // ── Cancel ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Cancels the op. A queued or pending op ends `cancelled` at once (a start request in flight finds
   * it cancelled and its attempt is stopped on the worker); a running one is cancelled on its worker,
   * waiting up to cancelConfirmMs for the worker's final word, which wins if the job finished first.
   */
  async cancel(operationId: string, reason?: string): Promise<Operation> {
    const op = this.#load(operationId);
    if (op.status === 'cancelled') return op;
    if (isTerminal(op.status)) throw new OperationNotCancellableError(operationId, op.status);
    const message = reason ? `Cancelled: ${reason}` : 'Cancelled by user';
    const worker = op.worker_id ? this.#registry.get(op.worker_id) : undefined;
    const attempt = currentAttempt(op);
    const cancelNow = (detail: string) =>
      this.#transition(operationId, 'cancelled', (o) => ({
        error_message: detail,
        attempts: attempt && attempt.ended_at === null ? this.#endAttempt(o, attempt.attempt_id, 'cancelled', detail) : o.attempts,
      })) ?? this.#load(operationId);
    if (op.status !== 'running' || !worker || !attempt) {
      const cancelled = cancelNow(message);
      if (worker && attempt) this.#client.cancel(worker.endpointUrl, operationId, reason).catch(() => undefined);
      return cancelled;
    }
    try {
      await this.#client.cancel(worker.endpointUrl, operationId, reason, this.#opts.cancelConfirmMs);
    } catch (err) {
      this.#log.warn({ operationId, workerId: worker.workerId, err: toError(err).message }, 'cancel on worker failed');
      return cancelNow(`${message} (worker did not confirm)`);
    }
    const deadline = this.#mono() + this.#opts.cancelConfirmMs;
    while (this.#mono() < deadline) {
      const current = this.#active.get(operationId);
      if (!current) return this.#load(operationId); // a pushed report settled it
      try {
        const remote = await this.#client.getOperation(worker.endpointUrl, operationId, this.#opts.cancelConfirmMs);
        if (isTerminal(remote.status)) {
          return this.#applyRemote(operationId, { ...remote, error_message: remote.error_message ?? message }, worker);
        }
      } catch (err) {
        if (err instanceof OperationUnknownToWorkerError) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return cancelNow(`${message} (worker did not confirm in time)`);
  }

  // ── Workers coming and going ─────────────────────────────────────────────────────────────────

  /**
   * A worker answered a health check. Settles ops the store assigns to it that it no longer runs,
   * re-attaches the op it says it runs (under the current attempt only), and clears "unreachable".
   */
  async onHealthReport(worker: WorkerRecord, report: { current_operation: string | null; current_attempt_id?: string | null | undefined }): Promise<void> {
    const claimed = report.current_operation;
    const tasks: Promise<unknown>[] = [];
    for (const op of [...this.#active.values()]) {
      if (op.worker_id !== worker.workerId) continue;
      if (op.status_detail?.startsWith('worker unreachable')) this.#transition(op.operation_id, null, () => ({ status_detail: null }));
      this.#orphanSince.delete(op.operation_id);
      // An attempt claimed moments ago (handed over in a report reply) may not have reached the
      // worker's own books yet: only older ones are reconciled.
      const claimedAt = currentAttempt(op)?.claimed_at;
      const fresh = claimedAt != null && this.#now() - Date.parse(claimedAt) < this.#opts.handoverGraceMs;
      if (op.operation_id !== claimed && op.status === 'running' && !fresh) {
        tasks.push(this.#reconcile(op, worker, `reported ${claimed ? `operation ${claimed}` : 'idle'}`));
      }
    }
    if (claimed) this.#attach(worker, claimed, report.current_attempt_id ?? null);
    await Promise.allSettled(tasks);
  }

  /** Asks the worker where an op stands and settles it if it ended (or the worker never heard of it). */
  #reconcile(op: Operation, worker: WorkerRecord, why: string): Promise<Operation> {
    return this.#singleflight(op.operation_id, async () => {
      let remote: Operation;
      try {
        remote = await this.#client.getOperation(worker.endpointUrl, op.operation_id);
      } catch (err) {
        if (err instanceof OperationUnknownToWorkerError) {
          return this.#lost(op.operation_id, `worker lost: ${worker.workerId} ${why} and does not know this operation`) ?? this.#load(op.operation_id);
        }
        this.#log.debug({ operationId: op.operation_id, err: toError(err).message }, 'reconcile: worker unreachable');
        return op;
      }
      if (isTerminal(remote.status)) return this.#applyRemote(op.operation_id, remote, worker);
      return op;
    });
  }

  /** A worker says it runs `operationId` (health report or registration). */
  #attach(worker: WorkerRecord, operationId: string, attemptId: string | null): void {
    const op = this.#active.get(operationId);
    const attempt = op && currentAttempt(op);
    if (!op || !attempt || (attemptId !== null && attempt.attempt_id !== attemptId) || attempt.worker_id !== worker.workerId || attempt.ended_at !== null) {
      const stored = op ?? this.#store.get(operationId);
      if (stored) this.#cancelStale(worker, operationId, stored && isTerminal(stored.status) ? `operation already ${stored.status}` : 'not its current attempt');
      return;
    }
    this.#orphanSince.delete(operationId);
    if (op.status !== 'running') {
      this.#log.info({ operationId, workerId: worker.workerId }, 'operation re-attached to its worker');
      this.report(operationId, { attempt_id: attempt.attempt_id, status: 'running' });
    }
    this.#registry.markBusy(worker.workerId, operationId);
  }

  /**
   * A worker (re-)registered, possibly saying which op it runs. A new boot id means it restarted:
   * whatever else it ran is lost now. The same boot id (a healed partition) means its ops may have
   * finished while it was away: ask it.
   */
  async onWorkerRegistered(
    worker: WorkerRecord,
    current: { operationId: string | null; attemptId: string | null },
    info: { replacedWorkerId: string | null; restarted: boolean },
  ): Promise<void> {
    if (current.operationId) this.#attach(worker, current.operationId, current.attemptId);
    const tasks: Promise<unknown>[] = [];
    for (const op of [...this.#active.values()]) {
      if (op.operation_id === current.operationId) continue;
      if (op.worker_id === worker.workerId && (op.status === 'running' || op.status === 'pending')) {
        if (info.restarted && op.status === 'running') {
          this.#lost(op.operation_id, `worker lost: ${worker.workerId} restarted while running this operation`);
        } else if (op.status === 'running') {
          tasks.push(this.#reconcile(op, worker, 're-registered idle'));
        }
      } else if (info.replacedWorkerId !== null && op.worker_id === info.replacedWorkerId && op.status === 'running') {
        this.#lost(op.operation_id, `worker lost: ${info.replacedWorkerId} was replaced by ${worker.workerId} at the same endpoint`);
      }
    }
    await Promise.allSettled(tasks);
  }

  /** A worker stopped answering health checks: say so on its ops, and start their orphan clocks. */
  onWorkerUnreachable(worker: WorkerRecord): void {
    const since = new Date(this.#now()).toISOString();
    for (const op of [...this.#active.values()]) {
      if (op.worker_id !== worker.workerId || op.status !== 'running') continue;
      this.#orphanSince.set(op.operation_id, this.#orphanSince.get(op.operation_id) ?? this.#mono());
      this.#transition(op.operation_id, null, () => ({
        status_detail: `worker unreachable since ${since}: settled in ${Math.round(this.#opts.orphanTimeoutMs / 1000)} s unless it comes back`,
      }));
    }
  }

  /**
   * A worker was removed after being unavailable too long. Its ops are not failed here: they are
   * settled by the orphan timeout, and a worker that comes back before then reports their outcome.
   */
  onWorkerRemoved(worker: WorkerRecord): void {
    for (const op of this.#active.values()) {
      if (op.worker_id === worker.workerId && !this.#orphanSince.has(op.operation_id)) this.#orphanSince.set(op.operation_id, this.#mono());
    }
  }

  /** Settles running ops whose worker has been unreachable or unknown for orphanTimeoutMs. */
  sweepOrphans(): void {
    const now = this.#mono();
    for (const op of [...this.#active.values()]) {
      if (op.status === 'queued' || this.#opts.selfManagedTypes.includes(op.operation_type)) continue;
      const fromBeforeStart = Date.parse(op.created_at) < this.#startedAtWall;
      if (op.status === 'pending' && !fromBeforeStart) continue;
      const worker = op.worker_id ? this.#registry.get(op.worker_id) : undefined;
      if (worker && worker.unreachableSince === null) {
        this.#orphanSince.delete(op.operation_id);
        continue;
      }
      const since = this.#orphanSince.get(op.operation_id) ?? now;
      this.#orphanSince.set(op.operation_id, since);
      if (now - since >= this.#opts.orphanTimeoutMs) {
        this.#lost(
          op.operation_id,
          `worker lost: no worker claimed this operation within ${Math.round(this.#opts.orphanTimeoutMs / 1000)} s` +
            (op.worker_id ? ` (it ran on ${op.worker_id})` : ' (it was never dispatched)'),
        );
      }
    }
  }

  /**
   * Moves an operation the backend runs itself (a selfManagedTypes one, e.g. a sweep's parent):
   * a new status (null: keep it) and fields. Refused (undefined) for worker-run types and where the
   * state machine says no.
   */
  advance(operationId: string, to: OperationStatus | null, patch: Partial<Operation> = {}): Operation | undefined {
    const op = this.#load(operationId);
    if (!this.#opts.selfManagedTypes.includes(op.operation_type)) return undefined;
    return this.#transition(operationId, to, () => patch);
  }

  /** The op as last known, without asking its worker (sync). */
  peek(operationId: string): Operation {
    return this.#load(operationId);
  }

  /** The op's status as last stored. */
  statusOf(operationId: string): OperationStatus {
    return this.#load(operationId).status;
  }

  activeCount(): number {
    return this.#active.size;
  }

  /** Active ops (queued, pending, running), oldest first. */
  active(): Operation[] {
    return [...this.#active.values()];
  }
}
