import type { Logger } from 'pino';
import type { Operation } from '../../contracts/index.js';
import { toError } from '../../contracts/errors.js';
import type { Dispatcher, DispatchOutcome } from '../dispatch/dispatcher.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { WorkerRegistry } from '../registry/worker-registry.js';
import type { QueueEntry, WorkQueue } from './work-queue.js';

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
    const ahead = queue.entries().find((e) => e.operationId !== entry.operationId && sameKind(e, entry));
    if (ahead && (ahead.priority > entry.priority || (ahead.priority === entry.priority && ahead.seq < entry.seq))) return undefined;
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
    for (const entry of queue.entries().slice()) {
      const { workerType, selection } = entry.target;
      if (workerType !== worker.workerType || !registry.isEligible(worker, selection)) continue;
      if (selection?.preferGpu && worker.capabilities['gpu'] !== true && registry.canSelect(workerType, { ...selection, requireGpu: true })) continue;
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
    return undefined;
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.allSettled([...this.#inflight]).then(() => undefined);
  }

  #pass(): void {
    const { queue, registry } = this.#deps;
    const blocked = new Set<string>();
    for (const entry of queue.entries().slice()) {
      const key = kindKey(entry);
      if (blocked.has(key)) continue;
      if (!registry.canSelect(entry.target.workerType, entry.target.selection)) {
        blocked.add(key);
        continue;
      }
      queue.remove(entry.operationId);
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

function kindKey(e: QueueEntry): string {
  return `${e.target.workerType}|${JSON.stringify(e.target.selection ?? {})}`;
}

function sameKind(a: QueueEntry, b: QueueEntry): boolean {
  return kindKey(a) === kindKey(b);
}
