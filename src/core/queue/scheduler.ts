import type { Logger } from 'pino';
import type { Operation } from '../../contracts/index.js';
import { toError } from '../../contracts/errors.js';
import type { Dispatcher, DispatchOutcome } from '../dispatch/dispatcher.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { WorkerRegistry } from '../registry/worker-registry.js';
import { before, kindOf, type QueueEntry, type WorkQueue } from './work-queue.js';

export interface SchedulerDeps {
  queue: WorkQueue;
  dispatcher: Dispatcher;
  operations: OperationsService;
  registry: WorkerRegistry;
  log: Logger;
}

/**
 * Moves queued operations onto free workers. Event-driven, not a polling loop: `kick()` is called
 * when work arrives (a submission, a re-queue) and when a worker may have become free (an operation
 * ended, a worker registered or reported idle). A pass walks the queue in dispatch order and starts
 * every operation that a free worker can take; an operation no free worker matches (say, one that
 * requires a GPU) doesn't block the ones behind it.
 */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #log: Logger;
  #scheduled = false;
  #closed = false;
  readonly #inflight = new Set<Promise<void>>();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'scheduler' });
  }

  /** Asks for a pass soon; many kicks in one tick make one pass. */
  kick(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pass();
    });
  }

  /** Dispatches `entry` now if a worker can take it; resolves with the outcome (undefined: it stays queued). */
  async dispatchNow(entry: QueueEntry): Promise<DispatchOutcome | undefined> {
    const { queue, registry } = this.#deps;
    if (!registry.canSelect(entry.target.workerType, entry.target.selection)) return undefined;
    // Someone queued earlier (or with a higher priority) for the same kind of worker goes first.
    const kind = kindOf(entry);
    for (const head of queue.heads()) {
      if (head.operationId !== entry.operationId && before(head, entry) && kindOf(head) === kind) return undefined;
    }
    queue.remove(entry.operationId);
    return this.#run(entry);
  }

  /**
   * Hands the first queued job this (just freed) worker can take straight to it, in the reply to
   * its final report: the attempt is opened and claimed here, so no start request and no claim
   * cross the network between two queued jobs. GPU-preferring work is left to a free GPU worker.
   */
  assignTo(workerId: string): { operation_id: string; attempt_id: string; path: string; body: Record<string, unknown> } | undefined {
    const { queue, registry, operations } = this.#deps;
    const worker = registry.get(workerId);
    if (!worker || worker.unreachableSince !== null || !registry.isEligible(worker)) return undefined;
    // Entries of one kind fit the same workers: only each kind's first entry is a candidate.
    const fits = (e: QueueEntry): boolean => {
      const { workerType, selection } = e.target;
      if (workerType !== worker.workerType || !registry.isEligible(worker, selection)) return false;
      return !(selection?.preferGpu && worker.capabilities['gpu'] !== true && registry.canSelect(workerType, { ...selection, requireGpu: true }));
    };
    for (;;) {
      let entry: QueueEntry | undefined;
      for (const head of queue.heads()) if (fits(head) && (!entry || before(head, entry))) entry = head;
      if (!entry) return undefined;
      queue.remove(entry.operationId);
      registry.markBusy(workerId, entry.operationId);
      const opened = operations.beginAttempt(entry.operationId, workerId);
      if (!opened || operations.report(entry.operationId, { attempt_id: opened.attemptId, worker_id: workerId, status: 'running' }).kind !== 'accepted') {
        registry.markAvailable(workerId, entry.operationId);
        continue;
      }
      this.#log.debug({ operationId: entry.operationId, workerId }, 'next job handed over in the report reply');
      return {
        operation_id: entry.operationId,
        attempt_id: opened.attemptId,
        path: entry.target.startPath,
        body: { ...entry.target.payload, task_id: entry.operationId, attempt_id: opened.attemptId },
      };
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.allSettled([...this.#inflight]).then(() => undefined);
  }

  /**
   * Starts queued entries in dispatch order while free workers fit them. Only each kind's first
   * entry is looked at (a kind no free worker fits is skipped as a whole), so a pass costs the
   * number of kinds and dispatches, not the length of the queue.
   */
  #pass(): void {
    const { queue, registry } = this.#deps;
    const blocked = new Set<string>();
    for (;;) {
      let entry: QueueEntry | undefined;
      for (const head of queue.heads()) if (!blocked.has(kindOf(head)) && (!entry || before(head, entry))) entry = head;
      if (!entry) return;
      if (!registry.canSelect(entry.target.workerType, entry.target.selection)) {
        blocked.add(kindOf(entry));
        continue;
      }
      queue.remove(entry.operationId);
      // Synchronously reserves its worker (Dispatcher.dispatch selects before its first await).
      void this.#run(entry);
    }
  }

  #run(entry: QueueEntry): Promise<DispatchOutcome | undefined> {
    const { dispatcher, operations } = this.#deps;
    const p = dispatcher
      .dispatch(entry.operationId, entry.target)
      .then((outcome) => {
        if (outcome.kind === 'no_worker') this.#requeue(entry, outcome.registeredWorkers);
        else if (outcome.kind === 'rejected') operations.markRejected(entry.operationId, `worker ${outcome.workerId} rejected the request: ${outcome.message}`);
        return outcome;
      })
      .catch((err: unknown) => {
        this.#log.error({ operationId: entry.operationId, err: toError(err).message }, 'dispatch failed; re-queued');
        this.#requeue(entry, 0);
        return undefined;
      });
    const tracked = p
      .then((outcome) => {
        // A worker was consumed or freed: look again. After no_worker, wait for an event (a worker
        // finishing, registering or reporting idle) instead: an immediate pass could spin.
        if (outcome?.kind !== 'no_worker') this.kick();
      })
      .finally(() => this.#inflight.delete(tracked));
    this.#inflight.add(tracked);
    return p;
  }

  /** Puts a submission that could not start at once in the queue, saying what it waits for. */
  park(entry: QueueEntry): void {
    this.#requeue(entry, this.#deps.registry.list({ workerType: entry.target.workerType }).length);
    this.kick();
  }

  #requeue(entry: QueueEntry, registered: number): void {
    const { queue, operations } = this.#deps;
    const { workerType, selection } = entry.target;
    const detail =
      selection?.requireGpu && !this.#deps.registry.list({ workerType }).some((w) => w.capabilities['gpu'] === true)
        ? `waiting for a GPU ${workerType} worker: none is registered (require_gpu never falls back to CPU)`
        : registered === 0
          ? `waiting for a ${workerType} worker: none is registered`
          : `waiting for a free ${workerType} worker`;
    const op = operations.requeue(entry.operationId, detail);
    if (op?.status === 'queued' && !queue.has(entry.operationId)) queue.add(entry);
  }

  /** Reacts to an operation going (back) to `queued` outside the scheduler (retry after a lost worker). */
  onQueued(op: Operation, entry: QueueEntry | undefined): void {
    if (entry && !this.#deps.queue.has(op.operation_id)) this.#deps.queue.add(entry);
    this.kick();
  }
}
