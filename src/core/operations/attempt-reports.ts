import type { Logger } from 'pino';
import { emptyProgress, isTerminal, type Operation, type OperationReport } from '../../contracts/index.js';
import { OperationNotFoundError } from '../../contracts/errors.js';
import type { WorkerRegistry } from '../registry/worker-registry.js';
import { attemptsUsed, currentAttempt, endAttempt, endCurrentAttempt, newAttemptId, wasClaimed } from './attempts.js';
import type { OperationBook } from './operation-book.js';

/** What the backend did with a worker's report. */
export type ReportOutcome =
  | { kind: 'accepted'; op: Operation }
  /** The report is from an attempt that is not the op's current one (or the op already ended). */
  | { kind: 'stale'; op: Operation; reason: string };

export interface AttemptReportsDeps {
  book: OperationBook;
  registry: WorkerRegistry;
  log: Logger;
  /** Attempts an operation gets before a lost worker fails it. */
  maxAttempts: (op: Operation) => number;
}

/**
 * Dispatch attempts and what workers report about them: opening an attempt before a start request,
 * its claim (`running`), its final state, its failure to start, and a lost worker's re-queue or
 * failure. Only the op's current, open attempt counts: anything else is stale (fencing).
 */
export class AttemptReports {
  readonly #book: OperationBook;
  readonly #registry: WorkerRegistry;
  readonly #log: Logger;
  readonly #maxAttempts: (op: Operation) => number;

  constructor(deps: AttemptReportsDeps) {
    this.#book = deps.book;
    this.#registry = deps.registry;
    this.#log = deps.log;
    this.#maxAttempts = deps.maxAttempts;
  }

  /**
   * Opens a new attempt on `workerId`. Its write is queued at once: await `settled` before the
   * start request goes out, so a restarted backend still recognises the worker's claim. Undefined
   * when the op can't be started any more (cancelled meanwhile).
   */
  beginAttempt(operationId: string, workerId: string, opts: { prefetched?: boolean } = {}): { op: Operation; attemptId: string } | undefined {
    const attemptId = newAttemptId();
    const at = this.#book.iso();
    const op = this.#book.transition(operationId, 'pending', (o) => ({
      worker_id: workerId,
      status_detail: opts.prefetched ? `given ahead to ${workerId}: starts there when its current job ends` : null,
      attempts: [
        ...(o.attempts ?? []).map((a) => (a.ended_at === null ? { ...a, outcome: 'abandoned' as const, ended_at: at } : a)),
        { attempt_id: attemptId, worker_id: workerId, started_at: at, ended_at: null, outcome: 'offered', ...(opts.prefetched ? { prefetched: true } : {}) },
      ],
    }));
    return op ? { op, attemptId } : undefined;
  }

  /** True when the worker claimed this attempt (its start reply may have been lost or late). */
  attemptWasClaimed(operationId: string, attemptId: string): boolean {
    return wasClaimed(this.#book.known(operationId), attemptId);
  }

  /**
   * The start request failed (busy, unreachable, timed out, refused). The attempt is closed, so a
   * late claim from that worker is refused; the op goes back to `pending` for the next try.
   */
  attemptFailed(operationId: string, attemptId: string, outcome: 'abandoned' | 'rejected', detail: string): Operation | undefined {
    const op = this.#book.active.get(operationId);
    if (!op || currentAttempt(op)?.attempt_id !== attemptId) return op;
    return this.#book.transition(operationId, op.status === 'running' ? 'running' : 'pending', (o) => ({
      worker_id: null,
      attempts: endAttempt(o, attemptId, outcome, this.#book.iso(), detail),
    }));
  }

  /**
   * A job given ahead to a worker that will not start it (the worker gave it back, was restarted,
   * or the backend took it back for a free worker): its attempt ends `abandoned` (it never ran, so
   * it does not count) and the op goes back to the queue in its old place. False when that attempt
   * is no longer the op's current, open one.
   */
  releasePrefetched(operationId: string, attemptId: string, detail: string): boolean {
    const op = this.#book.active.get(operationId);
    const a = op && currentAttempt(op);
    if (!op || op.status !== 'pending' || a?.attempt_id !== attemptId || a.ended_at !== null) return false;
    this.#log.info({ operationId, workerId: a.worker_id, detail }, 'job given ahead goes back to the queue');
    this.attemptFailed(operationId, attemptId, 'abandoned', detail);
    return this.requeue(operationId, `waiting for a free ${op.operation_type} worker (${detail})`)?.status === 'queued';
  }

  /** Back to the queue (no worker free, or a retry after a lost worker). */
  requeue(operationId: string, detail: string | null = null): Operation | undefined {
    return this.#book.transition(operationId, 'queued', () => ({ worker_id: null, status_detail: detail, progress: emptyProgress() }));
  }

  /**
   * A report about an attempt of an op this process knows: the worker's claim (`running`) or its
   * final state (pushed by the worker, read by a poll, or the start reply). Throws
   * OperationNotFoundError for an op not known in memory (the caller looks in the store).
   */
  report(operationId: string, report: OperationReport): ReportOutcome {
    const book = this.#book;
    const op = book.known(operationId);
    if (!op) throw new OperationNotFoundError(operationId);
    const attempt = currentAttempt(op);
    if (isTerminal(op.status)) return { kind: 'stale', op, reason: `operation already ${op.status}` };
    if (!attempt || attempt.attempt_id !== report.attempt_id || attempt.ended_at !== null) {
      return { kind: 'stale', op, reason: `attempt ${report.attempt_id} is not the operation's current attempt` };
    }
    if (report.worker_id !== undefined && report.worker_id !== attempt.worker_id) {
      return { kind: 'stale', op, reason: `attempt ${report.attempt_id} belongs to ${attempt.worker_id}, not ${report.worker_id}` };
    }
    book.orphanSince.delete(operationId);
    if (report.status === 'running') {
      const next = book.transition(operationId, 'running', (o) => ({
        worker_id: attempt.worker_id,
        started_at: o.started_at ?? book.iso(),
        status_detail: null,
        progress: report.progress ?? o.progress,
        attempts: (o.attempts ?? []).map((a) =>
          a.attempt_id === attempt.attempt_id ? { ...a, outcome: 'running' as const, claimed_at: a.claimed_at ?? book.iso() } : a,
        ),
      }));
      if (next && op.status !== 'running') this.#registry.markBusy(attempt.worker_id, operationId);
      return next ? { kind: 'accepted', op: next } : { kind: 'stale', op, reason: 'transition refused' };
    }
    // Metrics and the artifact are written before the final state (same op, same write chain).
    const metrics = report.metrics;
    if (metrics && metrics.length > 0) void book.persist(operationId, (s) => s.saveMetrics(operationId, metrics));
    const artifact = report.artifact;
    if (report.status === 'completed' && artifact !== undefined) void book.persist(operationId, (s) => s.saveResult(operationId, artifact));
    const final = book.transition(operationId, report.status, (o) => ({
      worker_id: attempt.worker_id,
      started_at: o.started_at ?? attempt.started_at,
      // Timestamps come from the backend's clock: the worker's may be skewed.
      completed_at: book.iso(),
      progress: report.progress ?? o.progress,
      error_message: report.status === 'completed' ? null : (report.error_message ?? o.error_message ?? null),
      result_summary: report.result_summary ?? null,
      // A final word from the current attempt means it ran, claimed or not.
      attempts: endAttempt(o, attempt.attempt_id, report.status, book.iso()).map((a) =>
        a.attempt_id === attempt.attempt_id ? { ...a, claimed_at: a.claimed_at ?? book.iso() } : a,
      ),
    }));
    return final ? { kind: 'accepted', op: final } : { kind: 'stale', op, reason: 'transition refused' };
  }

  /** Fails a non-terminal op with a reason; a terminal op is left as it is. */
  markFailed(operationId: string, message: string): Operation | undefined {
    return (
      this.#book.transition(operationId, 'failed', (o) => ({
        error_message: message,
        attempts: endCurrentAttempt(o, 'failed', this.#book.iso(), message),
      })) ?? this.#book.known(operationId)
    );
  }

  /**
   * The op's worker is gone (orphan timeout, restart): re-queue it when it has attempts left, fail
   * it otherwise. Whatever that worker still reports later is stale.
   */
  lost(operationId: string, reason: string): Operation | undefined {
    const op = this.#book.active.get(operationId);
    if (!op) return undefined;
    const attempts = endCurrentAttempt(op, 'lost', this.#book.iso(), reason);
    const used = attemptsUsed(attempts);
    if (used < this.#maxAttempts(op)) {
      this.#log.warn({ operationId, reason, attempts: used }, 'worker lost; operation re-queued');
      this.#book.transition(operationId, op.status, () => ({ attempts }));
      return this.requeue(operationId, `re-queued after attempt ${used}: ${reason}`);
    }
    return this.#book.transition(operationId, 'failed', () => ({ error_message: reason, attempts }));
  }
}
