import type { Logger } from 'pino';
import { isTerminal, type MetricRecord, type Operation } from '../../contracts/index.js';
import { toError } from '../../contracts/errors.js';
import type { WorkerRecord, WorkerRegistry } from '../registry/worker-registry.js';
import { OperationUnknownToWorkerError, type WorkerClient } from '../worker-client.js';
import type { AttemptReports } from './attempt-reports.js';
import { currentAttempt, isPrefetched } from './attempts.js';
import type { OperationBook } from './operation-book.js';

export interface WorkerReconcilerDeps {
  book: OperationBook;
  reports: AttemptReports;
  registry: WorkerRegistry;
  client: WorkerClient;
  log: Logger;
  now: () => number;
  mono: () => number;
  /** Runs `fn` for an op unless a run for it is in flight already (then shares that one). */
  singleflight: (operationId: string, fn: () => Promise<Operation>) => Promise<Operation>;
  orphanTimeoutMs: number;
  handoverGraceMs: number;
  selfManagedTypes: readonly string[];
}

/**
 * Reconciles what the backend believes with what workers say, so that no operation stays
 * `running` without a worker that claims it: health reports and (re-)registrations, unreachable
 * and removed workers, the orphan timeout, and reading an op's state from its worker.
 */
export class WorkerReconciler {
  readonly #d: WorkerReconcilerDeps;
  readonly #startedAtWall: number;

  constructor(deps: WorkerReconcilerDeps) {
    this.#d = deps;
    this.#startedAtWall = deps.now();
  }

  /**
   * A worker answered a health check. Settles ops the backend assigns to it that it no longer runs,
   * re-attaches the op it says it runs (under the current attempt only), and clears "unreachable".
   */
  async onHealthReport(worker: WorkerRecord, report: { current_operation: string | null; current_attempt_id?: string | null | undefined }): Promise<void> {
    const { book, reports } = this.#d;
    const claimed = report.current_operation;
    const tasks: Promise<unknown>[] = [];
    for (const op of [...book.active.values()]) {
      if (op.worker_id !== worker.workerId) continue;
      if (op.status_detail?.startsWith('worker unreachable')) book.transition(op.operation_id, null, () => ({ status_detail: null }));
      book.orphanSince.delete(op.operation_id);
      // An attempt claimed moments ago (handed over in a report reply) may not have reached the
      // worker's own books yet: only older ones are reconciled.
      if (op.operation_id !== claimed && op.status === 'running' && !this.#inHandover(op)) {
        tasks.push(this.#reconcile(op, worker, `reported ${claimed ? `operation ${claimed}` : 'idle'}`));
      } else if (op.operation_id !== claimed && this.#orphanedStart(op)) {
        reports.lost(op.operation_id, `worker lost: ${worker.workerId} never claimed the attempt opened before the backend restarted`);
      }
    }
    if (claimed) this.#attach(worker, claimed, report.current_attempt_id ?? null);
    await Promise.allSettled(tasks);
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
    const { book, reports } = this.#d;
    if (current.operationId) this.#attach(worker, current.operationId, current.attemptId);
    const tasks: Promise<unknown>[] = [];
    for (const op of [...book.active.values()]) {
      if (op.operation_id === current.operationId) continue;
      if (op.worker_id === worker.workerId && isPrefetched(op)) {
        // Held ahead in the memory of a process that is gone: it never started there.
        if (info.restarted) reports.releasePrefetched(op.operation_id, currentAttempt(op)!.attempt_id, `${worker.workerId} restarted before starting it`);
      } else if (info.replacedWorkerId !== null && op.worker_id === info.replacedWorkerId && isPrefetched(op)) {
        reports.releasePrefetched(op.operation_id, currentAttempt(op)!.attempt_id, `${info.replacedWorkerId} was replaced before starting it`);
      } else if (op.worker_id === worker.workerId && (op.status === 'running' || op.status === 'pending')) {
        if (info.restarted && op.status === 'running') {
          reports.lost(op.operation_id, `worker lost: ${worker.workerId} restarted while running this operation`);
        } else if (op.status === 'running') {
          tasks.push(this.#reconcile(op, worker, 're-registered idle'));
        } else if (this.#orphanedStart(op)) {
          reports.lost(op.operation_id, `worker lost: ${worker.workerId} never claimed the attempt opened before the backend restarted`);
        }
      } else if (info.replacedWorkerId !== null && op.worker_id === info.replacedWorkerId && op.status === 'running') {
        reports.lost(op.operation_id, `worker lost: ${info.replacedWorkerId} was replaced by ${worker.workerId} at the same endpoint`);
      }
    }
    await Promise.allSettled(tasks);
  }

  /** A worker stopped answering health checks: say so on its ops, and start their orphan clocks. */
  onWorkerUnreachable(worker: WorkerRecord): void {
    const { book } = this.#d;
    const since = new Date(this.#d.now()).toISOString();
    for (const op of [...book.active.values()]) {
      if (op.worker_id !== worker.workerId || op.status !== 'running') continue;
      book.orphanSince.set(op.operation_id, book.orphanSince.get(op.operation_id) ?? this.#d.mono());
      book.transition(op.operation_id, null, () => ({
        status_detail: `worker unreachable since ${since}: settled in ${Math.round(this.#d.orphanTimeoutMs / 1000)} s unless it comes back`,
      }));
    }
  }

  /**
   * A worker was removed after being unavailable too long. Its ops are not failed here: they are
   * settled by the orphan timeout, and a worker that comes back before then reports their outcome.
   */
  onWorkerRemoved(worker: WorkerRecord): void {
    const { book } = this.#d;
    for (const op of book.active.values()) {
      if (op.worker_id === worker.workerId && !book.orphanSince.has(op.operation_id)) book.orphanSince.set(op.operation_id, this.#d.mono());
    }
  }

  /** Settles running ops whose worker has been unreachable or unknown for orphanTimeoutMs. */
  sweepOrphans(): void {
    const { book, registry, reports, orphanTimeoutMs } = this.#d;
    const now = this.#d.mono();
    for (const op of [...book.active.values()]) {
      if (op.status === 'queued' || this.#d.selfManagedTypes.includes(op.operation_type)) continue;
      const fromBeforeStart = Date.parse(op.created_at) < this.#startedAtWall;
      // A start request of this process is in flight for a pending op; a job given ahead is as good as running.
      if (op.status === 'pending' && !fromBeforeStart && !isPrefetched(op)) continue;
      const worker = op.worker_id ? registry.get(op.worker_id) : undefined;
      if (worker && worker.unreachableSince === null) {
        book.orphanSince.delete(op.operation_id);
        continue;
      }
      const since = book.orphanSince.get(op.operation_id) ?? now;
      book.orphanSince.set(op.operation_id, since);
      if (now - since >= orphanTimeoutMs) {
        reports.lost(
          op.operation_id,
          `worker lost: no worker claimed this operation within ${Math.round(orphanTimeoutMs / 1000)} s` +
            (op.worker_id ? ` (it ran on ${op.worker_id})` : ' (it was never dispatched)'),
        );
      }
    }
  }

  /** Reads the op from its worker and applies what it says (progress, or its final state). */
  async refresh(op: Operation): Promise<Operation> {
    const { book, registry, client, reports } = this.#d;
    const attempt = currentAttempt(op);
    const worker = op.worker_id ? registry.get(op.worker_id) : undefined;
    if (!worker || !attempt || worker.unreachableSince !== null || op.status !== 'running') return op;
    let remote: Operation;
    try {
      remote = await client.getOperation(worker.endpointUrl, op.operation_id);
    } catch (err) {
      if (err instanceof OperationUnknownToWorkerError && !this.#inHandover(op)) {
        return (
          reports.lost(op.operation_id, `worker lost: ${worker.workerId} no longer knows this operation (it was restarted?)`) ??
          book.known(op.operation_id) ??
          op
        );
      }
      this.#d.log.debug({ operationId: op.operation_id, err: toError(err).message }, 'refresh from worker failed');
      return op;
    }
    return this.applyRemote(op.operation_id, remote, worker);
  }

  /** Applies an operation as a worker serves it: progress while running, the final state once ended. */
  async applyRemote(operationId: string, remote: Operation, worker: WorkerRecord): Promise<Operation> {
    const { book, client, reports, log } = this.#d;
    const current = book.active.get(operationId);
    if (!current) return book.load1(operationId);
    const attempt = currentAttempt(current);
    if (remote.attempt_id && attempt && remote.attempt_id !== attempt.attempt_id) {
      this.cancelStale(worker, operationId, `attempt ${remote.attempt_id} is stale`);
      return current;
    }
    if (!attempt) return current;
    if (!isTerminal(remote.status)) {
      if (current.status !== 'running') return current;
      return book.transition(operationId, 'running', () => ({ progress: remote.progress })) ?? book.load1(operationId);
    }
    let metrics: MetricRecord[] | undefined;
    let artifact: unknown;
    try {
      metrics = (await client.metrics(worker.endpointUrl, operationId, 0)).metrics;
    } catch (err) {
      log.warn({ operationId, err: toError(err).message }, 'could not fetch final metrics');
    }
    if (remote.status === 'completed') {
      try {
        artifact = (await client.results(worker.endpointUrl, operationId)) ?? undefined;
      } catch (err) {
        log.warn({ operationId, err: toError(err).message }, 'could not fetch result artifact');
      }
    }
    if (!book.known(operationId)) return book.load1(operationId);
    const outcome = reports.report(operationId, {
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
  cancelStale(worker: WorkerRecord, operationId: string, why: string): void {
    this.#d.log.warn({ operationId, workerId: worker.workerId, why }, 'worker runs a stale attempt; cancelling it there');
    this.#d.client.cancel(worker.endpointUrl, operationId, `stale attempt: ${why}`).catch(() => undefined);
  }

  /** Asks the worker where an op stands and settles it if it ended (or the worker never heard of it). */
  #reconcile(op: Operation, worker: WorkerRecord, why: string): Promise<Operation> {
    const { book, client, reports } = this.#d;
    return this.#d.singleflight(op.operation_id, async () => {
      let remote: Operation;
      try {
        remote = await client.getOperation(worker.endpointUrl, op.operation_id);
      } catch (err) {
        if (err instanceof OperationUnknownToWorkerError && !this.#inHandover(op)) {
          return reports.lost(op.operation_id, `worker lost: ${worker.workerId} ${why} and does not know this operation`) ?? book.load1(op.operation_id);
        }
        this.#d.log.debug({ operationId: op.operation_id, err: toError(err).message }, 'reconcile: worker unreachable');
        return op;
      }
      if (isTerminal(remote.status)) return this.applyRemote(op.operation_id, remote, worker);
      return op;
    });
  }

  /**
   * True when the op's attempt was claimed moments ago (handed over in a report reply): the worker
   * may not have it in its own books yet, so its "unknown" or "idle" is no sign of loss.
   */
  #inHandover(op: Operation): boolean {
    const claimedAt = currentAttempt(op)?.claimed_at;
    return claimedAt != null && this.#d.now() - Date.parse(claimedAt) < this.#d.handoverGraceMs;
  }

  /**
   * True for a `pending` op whose open attempt a previous backend process started long enough ago:
   * no start request of this process is in flight for it, and a worker that still does not run it
   * never claimed it (its claim's write was lost with that process).
   */
  #orphanedStart(op: Operation): boolean {
    const a = currentAttempt(op);
    // A job given ahead waits for its worker's current job, however long: it is taken back, not lost.
    if (op.status !== 'pending' || !a || a.ended_at !== null || a.prefetched === true) return false;
    const opened = Date.parse(a.started_at);
    return opened < this.#startedAtWall && this.#d.now() - opened > this.#d.handoverGraceMs;
  }

  /** A worker says it runs `operationId` (health report or registration). */
  #attach(worker: WorkerRecord, operationId: string, attemptId: string | null): void {
    const { book, registry, reports, log } = this.#d;
    const op = book.active.get(operationId);
    const attempt = op && currentAttempt(op);
    if (!op || !attempt || (attemptId !== null && attempt.attempt_id !== attemptId) || attempt.worker_id !== worker.workerId || attempt.ended_at !== null) {
      const known = op ?? book.known(operationId);
      if (known) {
        this.cancelStale(worker, operationId, isTerminal(known.status) ? `operation already ${known.status}` : 'not its current attempt');
      } else {
        // Not in memory: an op that ended long ago, or one this backend never stored.
        void book.find(operationId).then(
          (stored) => stored && this.cancelStale(worker, operationId, isTerminal(stored.status) ? `operation already ${stored.status}` : 'not its current attempt'),
          () => undefined,
        );
      }
      return;
    }
    book.orphanSince.delete(operationId);
    if (op.status !== 'running') {
      log.info({ operationId, workerId: worker.workerId }, 'operation re-attached to its worker');
      reports.report(operationId, { attempt_id: attempt.attempt_id, status: 'running' });
    }
    registry.markBusy(worker.workerId, operationId);
  }
}
