import type { Static, TSchema } from 'typebox';
import type { OperationMetadata, SubmitResponse } from '../../contracts/index.js';
import type { DispatchTarget } from '../dispatch/dispatcher.js';
import { InvalidRequestError, OperationEndedError, QueueFullError } from '../../contracts/errors.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { Scheduler } from './scheduler.js';
import type { QueueEntry, WorkQueue } from './work-queue.js';

/** What the backend needs to accept one kind of operation and hand it to a worker. */
export interface StartRouteSpec<S extends TSchema = TSchema> {
  /** Backend paths under /api/v1 (first one is canonical), e.g. ['/backtests/start']. */
  paths: readonly string[];
  operationType: string;
  workerType: string;
  /** Path of the start route on the worker. */
  workerPath: string;
  body: S;
  summary: string;
  /** Attempts an op gets when its worker is lost (re-queued until then). @defaultValue 1 */
  defaultMaxAttempts?: number;
  /**
   * Validates what the schema cannot (strategy exists, data covers the dates, …) and derives the
   * operation metadata, the payload for the worker and selection rules. Throws InvalidRequestError.
   */
  prepare(body: Static<S>): Promise<PreparedStart> | PreparedStart;
}

export interface PreparedStart {
  metadata: OperationMetadata;
  payload: Record<string, unknown>;
  selection?: DispatchTarget['selection'];
}

/** A submission checked and ready to be stored: what `Submitter.prepare` returns. */
export interface PreparedSubmission {
  spec: StartRouteSpec;
  /** The request as submitted (with the queue fields): stored for `retry`. */
  request: Record<string, unknown>;
  prepared: PreparedStart;
  priority: number;
  maxAttempts: number;
}

export interface SubmitterDeps {
  operations: OperationsService;
  scheduler: Scheduler;
  queue: WorkQueue;
}

export interface SubmitterOptions {
  /** Queued operations at most; a submission beyond is refused (429). @defaultValue 10000 */
  maxQueued?: number;
}

/**
 * The one path a submission takes, whoever makes it (a start route, a retry, a sweep): validate →
 * persist the op as `queued` with its dispatch target → start it on a free worker now, or leave it
 * queued (durable) until the scheduler finds one.
 */
export class Submitter {
  readonly #deps: SubmitterDeps;
  readonly #maxQueued: number;

  constructor(deps: SubmitterDeps, options: SubmitterOptions = {}) {
    this.#deps = deps;
    this.#maxQueued = options.maxQueued ?? 10_000;
  }

  get maxQueued(): number {
    return this.#maxQueued;
  }

  /** Queue room left before submissions are refused. */
  room(): number {
    return Math.max(0, this.#maxQueued - this.#deps.queue.size);
  }

  /** Runs the spec's checks (throws InvalidRequestError); stores nothing. */
  async prepare(spec: StartRouteSpec, request: Record<string, unknown>): Promise<PreparedSubmission> {
    const { priority, max_attempts, ...body } = request as Record<string, unknown> & { priority?: number; max_attempts?: number };
    const prepared = await spec.prepare(body as Static<typeof spec.body>);
    return { spec, request, prepared, priority: priority ?? 0, maxAttempts: max_attempts ?? spec.defaultMaxAttempts ?? 1 };
  }

  /**
   * Creates the op as `queued` (decided synchronously, its insert queued: await
   * `operations.persisted` before telling anyone) and returns its queue entry; `extraParameters` join
   * its metadata's parameters (a sweep's id and grid point).
   */
  create(sub: PreparedSubmission, extraParameters: Record<string, unknown> = {}): QueueEntry {
    const { spec, prepared } = sub;
    const target: DispatchTarget = {
      workerType: spec.workerType,
      startPath: spec.workerPath,
      payload: prepared.payload,
      ...(prepared.selection ? { selection: prepared.selection } : {}),
    };
    const metadata = { ...prepared.metadata, parameters: { ...prepared.metadata.parameters, ...extraParameters } };
    const { op, seq } = this.#deps.operations.create(spec.operationType, metadata, sub.request, {
      status: 'queued',
      priority: sub.priority,
      maxAttempts: sub.maxAttempts,
      dispatch: target,
    });
    return { operationId: op.operation_id, priority: sub.priority, seq, target };
  }

  /** Leaves a created op to the scheduler (no waiting for a worker's answer). */
  enqueue(entry: QueueEntry): void {
    if (!this.#deps.queue.has(entry.operationId)) this.#deps.scheduler.park(entry);
  }

  /** A start route's submission: prepared, stored, and started now when a worker is free. */
  async submit(spec: StartRouteSpec, request: Record<string, unknown>): Promise<SubmitResponse> {
    const { operations, scheduler, queue } = this.#deps;
    const sub = await this.prepare(spec, request);
    if (queue.size >= this.#maxQueued) throw new QueueFullError(this.#maxQueued, 30);
    const entry = this.create(sub);
    const id = entry.operationId;
    const outcome = await scheduler.dispatchNow(entry);
    if (outcome?.kind === 'dispatched') {
      return { success: true, operation_id: id, status: 'started', worker_id: outcome.workerId };
    }
    if (outcome?.kind === 'rejected') {
      throw InvalidRequestError.field('body', `the worker rejected the request: ${outcome.message}`);
    }
    if (outcome?.kind === 'ended') throw new OperationEndedError(id, outcome.status);
    if (outcome?.kind === 'claimed_elsewhere') {
      // Accepted and stored; another backend on the same store started it (its status is in the store).
      return { success: true, operation_id: id, status: 'started', worker_id: null, status_detail: 'started by another backend on the same operations store' };
    }
    if (!outcome && !queue.has(id)) scheduler.park(entry);
    // Accepted means stored: the reply waits for the op's writes so far.
    await operations.persisted(id);
    // As decided in memory (it may have been handed over meanwhile): no worker round trip for the reply.
    const now = operations.known(id) ?? (await operations.get(id));
    return {
      success: true,
      operation_id: id,
      status: now.status === 'running' || now.status === 'pending' ? 'started' : 'queued',
      worker_id: now.worker_id,
      queue_position: queue.position(id),
      status_detail: now.status_detail ?? null,
    };
  }
}
