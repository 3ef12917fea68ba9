import type { Logger } from 'pino';
import type { Operation } from '../../contracts/index.js';
import { toError } from '../../contracts/errors.js';
import type { Dispatcher, DispatchOutcome, DispatchTarget } from '../dispatch/dispatcher.js';
import { currentAttempt, isPrefetched } from '../operations/attempts.js';
import type { WorkerClient } from '../worker-client.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { WorkerRecord, WorkerRegistry } from '../registry/worker-registry.js';
import { before, kindOf, type QueueEntry, type WorkQueue } from './work-queue.js';

export interface SchedulerDeps {
  queue: WorkQueue;
  dispatcher: Dispatcher;
  operations: OperationsService;
  registry: WorkerRegistry;
  /** Takes back jobs given ahead (prefetched) when a worker is free for them. */
  client: Pick<WorkerClient, 'revokePrefetch' | 'cancel'>;
  log: Logger;
}

/** A queued job handed to a worker in a report reply (`next`, or `prefetch` ahead of its current job). */
export interface HandedOver {
  operation_id: string;
  attempt_id: string;
  path: string;
  body: Record<string, unknown>;
}

/** A job given ahead to a busy worker, until it claims it, gives it back, or the backend takes it back. */
interface Ahead {
  workerId: string;
  operationId: string;
  attemptId: string;
  entry: QueueEntry;
  /**
   * The op the worker ran when it got this one: its pushed final report settles it (claimed, or
   * given back). Unknown for jobs given ahead before a restart: those settle by claim or revocation.
   */
  behind: string | undefined;
  /** A revocation request is in flight (or the worker said it started the job: its claim is on the way). */
  revoking: boolean;
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
  /** Jobs given ahead, by the worker that holds them (at most one each). */
  readonly #ahead = new Map<string, Ahead>();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'scheduler' });
    // Jobs given ahead before a restart are still held by their workers (or claimed in a report on its way).
    for (const op of deps.operations.active()) {
      const a = currentAttempt(op);
      const row = deps.operations.queuedRow(op.operation_id);
      if (!isPrefetched(op) || !a || !row?.dispatch) continue;
      const entry = { operationId: op.operation_id, seq: row.seq, priority: row.priority, target: row.dispatch as DispatchTarget };
      this.#ahead.set(a.worker_id, { workerId: a.worker_id, operationId: op.operation_id, attemptId: a.attempt_id, entry, behind: undefined, revoking: false });
    }
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
  assignTo(workerId: string): HandedOver | undefined {
    const { registry, operations } = this.#deps;
    return this.#handOut(workerId, (w, sel) => this.#deps.registry.isEligible(w, sel), (entry) => {
      registry.markBusy(workerId, entry.operationId);
      const opened = operations.beginAttempt(entry.operationId, workerId);
      if (opened && operations.report(entry.operationId, { attempt_id: opened.attemptId, worker_id: workerId, status: 'running' }).kind === 'accepted') {
        this.#log.debug({ operationId: entry.operationId, workerId }, 'next job handed over in the report reply');
        return opened.attemptId;
      }
      registry.markAvailable(workerId, entry.operationId);
      return undefined;
    });
  }

  /**
   * Gives a busy worker (whose job thread can hold one job) the first queued job it can take that
   * no free worker can take now, ahead of time: its attempt is opened, not claimed. The job thread
   * starts it the moment its current job ends and claims it in that job's final report, so two
   * queued jobs follow each other on a worker without waiting for the backend. Should a worker free
   * up meanwhile, the job is taken back for it (see #rebalance).
   */
  prefetchFor(workerId: string, behind: string): HandedOver | undefined {
    if (this.#holding(workerId)) return undefined;
    const { registry, operations } = this.#deps;
    return this.#handOut(
      workerId,
      // Busy, but not out of reach; and only work no free worker could start now.
      (w, sel) => w.status === 'busy' && registry.fits(w, sel) && !registry.canSelect(w.workerType, sel),
      (entry) => {
        const opened = operations.beginAttempt(entry.operationId, workerId, { prefetched: true });
        if (!opened) return undefined;
        this.#ahead.set(workerId, { workerId, operationId: entry.operationId, attemptId: opened.attemptId, entry, behind, revoking: false });
        this.#log.debug({ operationId: entry.operationId, workerId }, 'job given ahead in the report reply');
        return opened.attemptId;
      },
    );
  }

  /**
   * A worker's final report claims the job it held ahead (its job thread started it): the claim is
   * applied like a `running` report. A claim the backend refuses (the job was cancelled meanwhile)
   * is stopped on the worker.
   */
  claimPrefetched(workerId: string, claim: { operation_id: string; attempt_id: string }): void {
    const { operations, registry, client } = this.#deps;
    const held = this.#ahead.get(workerId);
    if (held?.attemptId === claim.attempt_id) this.#ahead.delete(workerId);
    let accepted = false;
    try {
      accepted = operations.report(claim.operation_id, { attempt_id: claim.attempt_id, worker_id: workerId, status: 'running' }).kind === 'accepted';
    } catch {
      // not known here (any more): refused like a stale one
    }
    // Accepted, or its own final report came first (its attempt ran there, and ended).
    if (accepted || operations.attemptWasClaimed(claim.operation_id, claim.attempt_id)) return;
    const worker = registry.get(workerId);
    this.#log.warn({ operationId: claim.operation_id, workerId }, 'worker started a job given ahead that is no longer its own; stopping it there');
    if (worker) client.cancel(worker.endpointUrl, claim.operation_id, 'stale attempt: the job given ahead ended meanwhile').catch(() => undefined);
  }

  /**
   * The worker pushed the final report of `operationId`, and it was accepted. When that is the job
   * the worker held one ahead behind, its job thread decided about that one before the report left,
   * and started it only if the report claimed it: unclaimed, it goes back to the queue. (A job that
   * ended any other way, say read by the backend from its worker, settles nothing: the one held
   * behind it is claimed, or taken back by revocation.)
   */
  settlePrefetch(workerId: string, operationId: string): void {
    const held = this.#ahead.get(workerId);
    if (!held || held.behind !== operationId) return;
    this.#ahead.delete(workerId);
    if (this.#deps.operations.releasePrefetched(held.operationId, held.attemptId, `${workerId} did not start it`)) this.kick();
  }

  /** The worker's queue-head fit, marked by `mark` (undefined: try the next entry). */
  #handOut(
    workerId: string,
    eligible: (w: WorkerRecord, selection: QueueEntry['target']['selection']) => boolean,
    mark: (entry: QueueEntry) => string | undefined,
  ): HandedOver | undefined {
    const { queue, registry } = this.#deps;
    const worker = registry.get(workerId);
    if (!worker || worker.unreachableSince !== null || !eligible(worker, undefined)) return undefined;
    // Entries of one kind fit the same workers: only each kind's first entry is a candidate.
    const fits = (e: QueueEntry): boolean => {
      const { workerType, selection } = e.target;
      if (workerType !== worker.workerType || !eligible(worker, selection)) return false;
      return !(selection?.preferGpu && worker.capabilities['gpu'] !== true && registry.canSelect(workerType, { ...selection, requireGpu: true }));
    };
    for (;;) {
      let entry: QueueEntry | undefined;
      for (const head of queue.heads()) if (fits(head) && (!entry || before(head, entry))) entry = head;
      if (!entry) return undefined;
      queue.remove(entry.operationId);
      const attemptId = mark(entry);
      if (attemptId === undefined) continue;
      return {
        operation_id: entry.operationId,
        attempt_id: attemptId,
        path: entry.target.startPath,
        body: { ...entry.target.payload, task_id: entry.operationId, attempt_id: attemptId },
      };
    }
  }

  /** True while the worker holds a job given ahead (an entry whose op moved on is dropped). */
  #holding(workerId: string): boolean {
    const held = this.#ahead.get(workerId);
    if (!held) return false;
    if (this.#current(held)) return true;
    this.#ahead.delete(workerId);
    return false;
  }

  #current(held: Ahead): boolean {
    const op = this.#deps.operations.known(held.operationId);
    return op !== undefined && isPrefetched(op) && currentAttempt(op)?.attempt_id === held.attemptId;
  }

  /**
   * Takes back jobs given ahead that a free worker could start now (or whose holder is idle): asks
   * the holder to revoke it, which is atomic against its job thread starting it. Revoked: the job
   * goes back to the queue in its old place and the next pass dispatches it. Started: its claim is
   * on the way. Unreachable holder: left to the orphan sweep, like a running job.
   */
  #rebalance(): void {
    const { registry, operations, client } = this.#deps;
    for (const held of [...this.#ahead.values()]) {
      if (held.revoking) continue;
      if (!this.#current(held)) {
        this.#ahead.delete(held.workerId);
        continue;
      }
      const holder = registry.get(held.workerId);
      if (!holder || holder.unreachableSince !== null) continue;
      const { workerType, selection } = held.entry.target;
      if (holder.status === 'busy' && !registry.canSelect(workerType, selection)) continue;
      held.revoking = true;
      client.revokePrefetch(holder.endpointUrl, held.operationId, held.attemptId).then(
        (outcome) => {
          if (outcome === 'started') return; // its claim is on the way, in the final report of the job before it
          if (this.#ahead.get(held.workerId) === held) this.#ahead.delete(held.workerId);
          if (operations.releasePrefetched(held.operationId, held.attemptId, `taken back from ${held.workerId} for a free worker`)) this.kick();
        },
        (err: unknown) => {
          held.revoking = false;
          this.#log.debug({ operationId: held.operationId, workerId: held.workerId, err: toError(err).message }, 'could not take back a job given ahead');
        },
      );
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
      if (!entry) break;
      if (!registry.canSelect(entry.target.workerType, entry.target.selection)) {
        blocked.add(kindOf(entry));
        continue;
      }
      queue.remove(entry.operationId);
      // Synchronously reserves its worker (Dispatcher.dispatch selects before its first await).
      void this.#run(entry);
    }
    if (this.#ahead.size > 0) this.#rebalance();
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
