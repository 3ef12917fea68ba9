import type { Logger } from 'pino';
import { emptyProgress, isTerminal, newOperationId, type Operation, type OperationMetadata, type OperationStatus } from '../../contracts/index.js';
import { ClaimedElsewhereError, OperationNotFoundError, toError } from '../../contracts/errors.js';
import type { WorkerRegistry } from '../registry/worker-registry.js';
import { canTransition } from './operation-state.js';
import type { OperationStore, QueuedRow } from './operation-store.js';
import { OperationWriter } from './operation-writer.js';

/** Hooks for monitoring (Prometheus counters etc.) and for the queue. */
export interface OperationListener {
  onCreated?(op: Operation): void;
  onTerminal?(op: Operation): void;
  /** An operation went (back) to `queued`. */
  onQueued?(op: Operation): void;
  /** A worker refused the submission (bad request): the op was deleted, it is not history. */
  onRejected?(op: Operation, message: string): void;
  /** Another backend on the same store claimed this queued op first: this one forgot it. */
  onClaimedElsewhere?(operationId: string): void;
}

export interface OperationBookDeps {
  store: OperationStore;
  registry: WorkerRegistry;
  log: Logger;
  now: () => number;
  mono: () => number;
  listener: OperationListener;
}

/** Terminal operations kept in memory after they ended (late reports, polls, sweeps read them). */
const RECENT_LIMIT = 2_000;

/**
 * The authoritative state of the backend's operations. The backend is the single writer: every
 * queued, pending or running op lives here, each change is decided synchronously on this copy (so
 * no await can slip between a check and its action), and is then written to the store behind it,
 * serialized per operation. Whoever must not act before a change is durable awaits `settled`.
 * Terminal states are final, here (the state machine) and in the store (it refuses the write).
 */
export class OperationBook {
  readonly #store: OperationStore;
  readonly #registry: WorkerRegistry;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #mono: () => number;
  readonly #listener: OperationListener;
  /** Every queued/pending/running op. */
  readonly active = new Map<string, Operation>();
  /** Ops that ended lately, newest last (bounded). */
  readonly #recent = new Map<string, Operation>();
  /** Ops deleted (rejected submissions) whose delete may not have landed yet. */
  readonly #deleted = new Set<string>();
  /** A running op's copy as its worker served it, and when (monotonic). */
  readonly cache = new Map<string, { op: Operation; at: number }>();
  /** Monotonic time since when an op's worker has been unreachable or unknown. */
  readonly orphanSince = new Map<string, number>();
  /** Active ops' queue place and dispatch target (kept for a re-queue). */
  readonly #queueInfo = new Map<string, QueuedRow>();
  /** Ops another backend claimed from the queue first: their later writes from here are dropped. */
  readonly #claimedElsewhere = new Set<string>();
  /** Per op, its row write that is queued last and has not run yet (see transition). */
  readonly #unwritten = new Map<string, { row: Operation; claiming: boolean }>();
  readonly #writer: OperationWriter;
  #seq = 0;

  constructor(deps: OperationBookDeps) {
    this.#store = deps.store;
    this.#registry = deps.registry;
    this.#log = deps.log;
    this.#now = deps.now;
    this.#mono = deps.mono;
    this.#listener = deps.listener;
    this.#writer = new OperationWriter((key, err) => {
      if (!(err instanceof ClaimedElsewhereError)) this.#log.error({ key, err: toError(err).message }, 'operations store write failed');
    });
  }

  /** Loads the active operations and the sequence from the store (once, at start). */
  async load(): Promise<void> {
    this.#seq = await this.#store.maxSeq();
    for (const { op, seq, dispatch } of await this.#store.listActive()) {
      this.active.set(op.operation_id, op);
      this.#queueInfo.set(op.operation_id, { operationId: op.operation_id, seq, priority: op.priority ?? 0, dispatch });
    }
  }

  iso(): string {
    return new Date(this.#now()).toISOString();
  }

  /** The op as this process knows it (active, or ended lately); no store read. */
  known(operationId: string): Operation | undefined {
    return this.active.get(operationId) ?? this.#recent.get(operationId);
  }

  /** The op: from memory when known, else from the store (after its pending writes landed). */
  async find(operationId: string): Promise<Operation | undefined> {
    const op = this.known(operationId);
    if (op) return op;
    if (this.#deleted.has(operationId)) return undefined;
    await this.settled(operationId).catch(() => undefined);
    return this.#store.get(operationId);
  }

  async load1(operationId: string): Promise<Operation> {
    const op = await this.find(operationId);
    if (!op) throw new OperationNotFoundError(operationId);
    return op;
  }

  /** The op as known in memory; throws when unknown here. */
  peek(operationId: string): Operation {
    const op = this.known(operationId);
    if (!op) throw new OperationNotFoundError(operationId);
    return op;
  }

  /** Queues a write for `key` (an operation id) behind its earlier ones. */
  persist(key: string, write: (store: OperationStore) => Promise<unknown>): Promise<void> {
    // A later state change must land after this write, not merge into a row write queued before it.
    this.#unwritten.delete(key);
    const p = this.#writer.enqueue(key, () => write(this.#store));
    p.catch(() => undefined); // logged by the writer; awaited through settled() by whoever depends on it
    return p;
  }

  /** Resolves once the op's changes so far are in the store (rejects when the last write failed). */
  settled(operationId: string): Promise<void> {
    return this.#writer.settled(operationId);
  }

  /** The writes queued so far have run (a reader's view includes them). */
  settledAll(): Promise<void> {
    return this.#writer.settledAll();
  }

  /** No write is queued any more (at close). */
  drain(): Promise<void> {
    return this.#writer.drain();
  }

  queuedRow(operationId: string): QueuedRow | undefined {
    return this.#queueInfo.get(operationId);
  }

  /** Creates an op in memory and queues its insert. */
  create(
    operationType: string,
    metadata: OperationMetadata,
    request: unknown,
    opts: { status?: 'pending' | 'queued'; priority?: number; maxAttempts?: number; dispatch?: unknown },
  ): { op: Operation; seq: number } {
    const op: Operation = {
      operation_id: newOperationId(operationType),
      operation_type: operationType,
      status: opts.status ?? 'pending',
      worker_id: null,
      created_at: this.iso(),
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
    const seq = ++this.#seq;
    this.active.set(op.operation_id, op);
    this.#queueInfo.set(op.operation_id, { operationId: op.operation_id, seq, priority: op.priority ?? 0, dispatch: opts.dispatch });
    void this.persist(op.operation_id, (s) => s.insert(op, request, opts.dispatch, seq));
    this.#listener.onCreated?.(op);
    return { op, seq };
  }

  /** Forgets an op entirely (a submission its worker refused). */
  delete(operationId: string): Operation | undefined {
    const op = this.active.get(operationId);
    this.#forget(operationId);
    this.#queueInfo.delete(operationId);
    this.#recent.delete(operationId);
    this.#deleted.add(operationId);
    void this.persist(operationId, (s) => s.delete(operationId)).finally(() => this.#deleted.delete(operationId));
    return op;
  }

  /**
   * The one way an operation's state changes. Refuses (returns undefined) a change the state
   * machine does not allow from the op's latest state; a terminal op is never changed again.
   */
  transition(operationId: string, to: OperationStatus | null, patch: (op: Operation) => Partial<Operation> = () => ({})): Operation | undefined {
    const op = this.active.get(operationId);
    if (!op) return undefined;
    const target = to ?? op.status;
    if (!canTransition(op.status, target)) return undefined;
    const next: Operation = { ...op, ...patch(op), status: target };
    if (isTerminal(target)) {
      next.completed_at ??= this.iso();
      if (target === 'completed') next.error_message = null;
      next.status_detail = null;
    }
    // Leaving the queue is a claim: the store writes it only while the row is still queued and
    // not being claimed by another backend on the same store (PostgreSQL: FOR UPDATE SKIP LOCKED).
    const claiming = op.status === 'queued' && (target === 'pending' || target === 'running');
    const unwritten = this.#unwritten.get(operationId);
    // A claim merges only into a claim: a claim that took over a plain write (say, a re-queue)
    // would be checked against the row before that write, which is not `queued`.
    if (unwritten && (unwritten.claiming || !claiming)) {
      // The op's last queued write has not run yet: it lands this newer row instead (one write for
      // an attempt opened and claimed in one go, as in a hand-over), and stays a claim if it was one.
      unwritten.row = next;
    } else {
      const slot = { row: next, claiming };
      void this.persist(operationId, async (s) => {
        if (this.#unwritten.get(operationId) === slot) this.#unwritten.delete(operationId);
        const { row, claiming: claim } = slot;
        // Theirs now: nothing of ours lands, and whoever awaits this write learns why.
        if (this.#claimedElsewhere.has(operationId)) throw new ClaimedElsewhereError(operationId);
        if (claim) {
          if (await s.claim(row)) return;
          this.#lostClaim(operationId);
          throw new ClaimedElsewhereError(operationId);
        }
        // Refused only when another writer ended the row: this process's copy lost that race.
        if (!(await s.update(row))) this.#log.error({ operationId, status: row.status }, 'store refused the change: the stored operation is terminal already (or missing)');
      });
      this.#unwritten.set(operationId, slot);
    }
    if (isTerminal(target)) {
      this.#forget(operationId);
      this.#queueInfo.delete(operationId);
      this.#remember(next);
      if (next.worker_id) this.#registry.markAvailable(next.worker_id, operationId);
      this.#log.info({ operationId, workerId: next.worker_id, status: target, error: next.error_message }, 'operation finished');
      this.#listener.onTerminal?.(next);
    } else {
      this.active.set(operationId, next);
      if (this.cache.has(operationId)) this.cache.set(operationId, { op: next, at: this.#mono() });
      if (target === 'queued' && op.status !== 'queued') this.#listener.onQueued?.(next);
    }
    return next;
  }

  /**
   * Another backend took this op from the queue first: it runs there. This backend forgets it
   * (reads go to the store from now on) and frees the worker it had reserved for it.
   */
  #lostClaim(operationId: string): void {
    const op = this.active.get(operationId);
    this.#claimedElsewhere.add(operationId);
    this.#forget(operationId);
    this.#queueInfo.delete(operationId);
    if (op?.worker_id) this.#registry.markAvailable(op.worker_id, operationId);
    this.#log.warn({ operationId, workerId: op?.worker_id ?? null }, 'queued operation taken by another backend on the same store; left to it');
    this.#listener.onClaimedElsewhere?.(operationId);
    // Writes already queued behind the claim see the mark; later ones are never queued (not active).
    void this.#writer.settled(operationId).catch(() => undefined).finally(() => this.#claimedElsewhere.delete(operationId));
  }

  #remember(op: Operation): void {
    this.#recent.delete(op.operation_id);
    this.#recent.set(op.operation_id, op);
    if (this.#recent.size > RECENT_LIMIT) this.#recent.delete(this.#recent.keys().next().value!);
  }

  #forget(operationId: string): void {
    this.active.delete(operationId);
    this.cache.delete(operationId);
    this.orphanSince.delete(operationId);
  }

  notifyRejected(op: Operation, message: string): void {
    this.#listener.onRejected?.(op, message);
  }
}
