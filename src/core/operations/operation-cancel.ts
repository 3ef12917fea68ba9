import type { Logger } from 'pino';
import { isTerminal, type Operation } from '../../contracts/index.js';
import { OperationNotCancellableError, toError } from '../../contracts/errors.js';
import type { WorkerRecord, WorkerRegistry } from '../registry/worker-registry.js';
import { OperationUnknownToWorkerError, type WorkerClient } from '../worker-client.js';
import { currentAttempt, endAttempt, isPrefetched } from './attempts.js';
import type { OperationBook } from './operation-book.js';

export interface OperationCancelDeps {
  book: OperationBook;
  registry: WorkerRegistry;
  client: WorkerClient;
  log: Logger;
  mono: () => number;
  /** Applies an op as its worker serves it (WorkerReconciler.applyRemote). */
  applyRemote: (operationId: string, remote: Operation, worker: WorkerRecord) => Promise<Operation>;
  /** How long a cancel waits for the worker to confirm the op stopped. */
  cancelConfirmMs: number;
}

/** Cancelling an operation, on the backend and on its worker. */
export class OperationCancel {
  readonly #d: OperationCancelDeps;

  constructor(deps: OperationCancelDeps) {
    this.#d = deps;
  }

  /**
   * Cancels the op. A queued or pending op ends `cancelled` at once (a start request in flight finds
   * it cancelled and its attempt is stopped on the worker); a running one is cancelled on its worker,
   * waiting up to cancelConfirmMs for the worker's final word, which wins if the job finished first.
   */
  async cancel(operationId: string, reason?: string): Promise<Operation> {
    const book = this.#d.book;
    const op = book.known(operationId) ?? (await book.load1(operationId));
    if (op.status === 'cancelled') return op;
    if (isTerminal(op.status)) throw new OperationNotCancellableError(operationId, op.status);
    const message = reason ? `Cancelled: ${reason}` : 'Cancelled by user';
    const worker = op.worker_id ? this.#d.registry.get(op.worker_id) : undefined;
    const attempt = currentAttempt(op);
    const cancelNow = (detail: string) =>
      book.transition(operationId, 'cancelled', (o) => ({
        error_message: detail,
        attempts: attempt && attempt.ended_at === null ? endAttempt(o, attempt.attempt_id, 'cancelled', book.iso(), detail) : o.attempts,
      })) ?? book.load1(operationId);
    if (op.status !== 'running' || !worker || !attempt) {
      const cancelled = cancelNow(message);
      if (worker && attempt && isPrefetched(op)) {
        // Given ahead: the worker's job thread holds it; taken back, it never starts there. One it
        // started already is claimed in a report that is refused now, and stopped on the worker.
        this.#d.client.revokePrefetch(worker.endpointUrl, operationId, attempt.attempt_id).catch(() => undefined);
      } else if (worker && attempt) {
        this.#d.client.cancel(worker.endpointUrl, operationId, reason).catch(() => undefined);
      }
      return cancelled;
    }
    try {
      await this.#d.client.cancel(worker.endpointUrl, operationId, reason, this.#d.cancelConfirmMs);
    } catch (err) {
      this.#d.log.warn({ operationId, workerId: worker.workerId, err: toError(err).message }, 'cancel on worker failed');
      return cancelNow(`${message} (worker did not confirm)`);
    }
    const deadline = this.#d.mono() + this.#d.cancelConfirmMs;
    while (this.#d.mono() < deadline) {
      if (!book.active.has(operationId)) return book.load1(operationId); // a pushed report settled it
      try {
        const remote = await this.#d.client.getOperation(worker.endpointUrl, operationId, this.#d.cancelConfirmMs);
        if (isTerminal(remote.status)) {
          return this.#d.applyRemote(operationId, { ...remote, error_message: remote.error_message ?? message }, worker);
        }
      } catch (err) {
        if (err instanceof OperationUnknownToWorkerError) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return cancelNow(`${message} (worker did not confirm in time)`);
  }
}
