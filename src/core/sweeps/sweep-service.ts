import type { Logger } from 'pino';
import { isTerminal, type Operation, type SweepRequest } from '../../contracts/index.js';
import { InvalidRequestError, OperationNotFoundError, QueueFullError, toError } from '../../contracts/errors.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { PreparedSubmission, StartRouteSpec, Submitter } from '../queue/submitter.js';
import { sortRows, sweepColumns, sweepRows, toCsv, type SweepRow } from './sweep-table.js';

/** What a planner makes of a sweep request (see workers/sweep/plan-sweep.ts). */
export interface SweepPlanLike {
  strategyName: string;
  dimensions: string[];
  children: { params: Record<string, unknown>; request: Record<string, unknown>; training?: Record<string, unknown> }[];
}

export interface SweepServiceDeps {
  operations: OperationsService;
  submitter: Submitter;
  store: Pick<OperationStore, 'getSweep' | 'activeSweepIds'>;
  /** The start route its children go through (backtests). */
  childSpec: StartRouteSpec;
  /** The start route of a neural walk-forward step's training. */
  trainingSpec?: StartRouteSpec;
  /** Expands a request into children; throws InvalidRequestError. */
  plan(request: SweepRequest): SweepPlanLike;
  log: Logger;
}

/** A sweep's durable state (the `sweeps` table), keyed by its parent operation's id. */
interface SweepState {
  version: 1;
  strategy_name: string;
  dimensions: string[];
  children: SweepEntry[];
}

/**
 * One row of a sweep. `operation_id` is the op the row shows: the backtest, or (a neural
 * walk-forward step) its training until the backtest that uses the trained model is submitted.
 */
interface SweepEntry {
  operation_id: string;
  params: Record<string, unknown>;
  /** Neural walk-forward: the step's training. */
  training_id?: string;
  /** Neural walk-forward: the backtest to submit (with the trained model) once the training completed. */
  pending_backtest?: Record<string, unknown>;
  /** Why the step's backtest could not be submitted. */
  step_error?: string;
}

export const SWEEP_OPERATION_TYPE = 'sweep';

/**
 * Sweeps: one parent operation (type `sweep`, never dispatched, run by the backend itself) and
 * one child backtest per grid point, each submitted like `POST /backtests/start`. The parent is
 * `running` while its children run, its progress is theirs, and it ends `completed` (some child
 * completed), `failed` (none did) or `cancelled` (cancelling it cancels its unfinished children).
 * The children's ids live in the store, so a restarted backend picks the sweep up again.
 */
export class SweepService {
  readonly #deps: SweepServiceDeps;
  readonly #log: Logger;
  readonly #states = new Map<string, SweepState>();
  /** Child id → sweep id, for the sweeps this process knows. */
  readonly #parentOf = new Map<string, string>();
  /** The ended children (and trainings) of the sweeps this process knows: settling reads no store. */
  readonly #ended = new Map<string, Operation>();

  constructor(deps: SweepServiceDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'sweeps' });
  }

  /** Validates everything, then stores the parent and every child at once and queues the children. */
  async create(request: SweepRequest): Promise<{ sweepId: string; childIds: string[] }> {
    const { operations, submitter, childSpec } = this.#deps;
    const plan = this.#deps.plan(request);
    const prepared: PreparedSubmission[] = [];
    const trainingSpec = this.#deps.trainingSpec;
    for (const child of plan.children) {
      try {
        if (child.training && !trainingSpec) throw InvalidRequestError.field('walk_forward', 'this backend has no training route: a neural walk-forward needs one');
        prepared.push(await submitter.prepare(child.training ? trainingSpec! : childSpec, child.training ?? child.request));
      } catch (err) {
        if (!(err instanceof InvalidRequestError) || plan.children.length === 1) throw err;
        const point = Object.entries(child.params).map(([k, v]) => `${k}=${String(v)}`).join(', ');
        throw new InvalidRequestError(err.issues.map((i) => ({ path: i.path, message: `${i.message} (child ${point})` })));
      }
    }
    if (prepared.length > submitter.room()) throw new QueueFullError(submitter.maxQueued, 30);
    const { op: parent } = operations.create(
      SWEEP_OPERATION_TYPE,
      {
        symbol: request.symbols?.length === 1 ? request.symbols[0]! : null,
        timeframe: request.timeframes?.length === 1 ? request.timeframes[0]! : null,
        start_date: request.start_date,
        end_date: request.end_date,
        parameters: {
          strategy_name: plan.strategyName,
          dimensions: plan.dimensions,
          children: plan.children.length,
          walk_forward: request.walk_forward ?? null,
        },
      },
      request,
      { status: 'pending', priority: request.priority ?? 0 },
    );
    const sweepId = parent.operation_id;
    operations.advance(sweepId, 'running', { started_at: parent.created_at, progress: this.#progress(plan.children.length, 0, 0, 0) });
    // Synchronous from here to the save: the parent, its children and their ids are stored together.
    const entries = prepared.map((sub, i) =>
      submitter.create(sub, { sweep_id: sweepId, sweep_params: plan.children[i]!.params, ...(plan.children[i]!.training ? { sweep_step: 'training' } : {}) }),
    );
    const state: SweepState = {
      version: 1,
      strategy_name: plan.strategyName,
      dimensions: plan.dimensions,
      children: entries.map((e, i) => {
        const child = plan.children[i]!;
        return child.training
          ? { operation_id: e.operationId, params: child.params, training_id: e.operationId, pending_backtest: child.request }
          : { operation_id: e.operationId, params: child.params };
      }),
    };
    this.#save(sweepId, state);
    this.#remember(sweepId, state);
    for (const e of entries) submitter.enqueue(e);
    // Accepted means stored: the parent, every child and the sweep's state.
    await Promise.all([sweepId, ...entries.map((e) => e.operationId)].map((id) => operations.persisted(id)));
    this.#log.info({ sweepId, children: entries.length, strategy: plan.strategyName }, 'sweep created');
    return { sweepId, childIds: entries.map((e) => e.operationId) };
  }

  /** Queues a snapshot of the sweep's state behind its parent's writes. */
  #save(sweepId: string, state: SweepState): void {
    const snapshot = JSON.parse(JSON.stringify(state)) as SweepState;
    void this.#deps.operations.persist(sweepId, (store) => store.saveSweep(sweepId, snapshot));
  }

  /** At start: picks up the sweeps a previous process left unfinished. */
  async resume(): Promise<void> {
    const { operations, store } = this.#deps;
    const ids = new Set(await store.activeSweepIds());
    for (const id of ids) {
      const state = (await store.getSweep(id)) as SweepState | undefined;
      if (!state) continue;
      this.#remember(id, state);
      for (const c of state.children) {
        for (const childId of [c.operation_id, c.training_id]) {
          if (childId === undefined || operations.known(childId)) continue;
          const child = await operations.find(childId);
          if (child && isTerminal(child.status)) this.#ended.set(childId, child);
        }
      }
    }
    for (const op of operations.active()) {
      if (op.operation_type !== SWEEP_OPERATION_TYPE) continue;
      if (!ids.has(op.operation_id)) {
        operations.advance(op.operation_id, 'failed', { error_message: 'the backend stopped before this sweep stored its children: submit it again' });
        continue;
      }
      if (op.status === 'pending') operations.advance(op.operation_id, 'running');
      this.#settle(op.operation_id);
    }
    if (ids.size > 0) this.#log.info({ sweeps: ids.size }, 'resumed unfinished sweeps');
  }

  /** The operations listener: a child ended (settle its sweep) or a parent was cancelled (cancel its children). */
  onTerminal(op: Operation): void {
    if (op.operation_type === SWEEP_OPERATION_TYPE) {
      if (op.status === 'cancelled') void this.#cancelChildren(op.operation_id);
      return;
    }
    const sweepId = this.#parentOf.get(op.operation_id);
    if (!sweepId) return;
    this.#ended.set(op.operation_id, op);
    this.#settle(sweepId);
  }

  /** A child a worker refused (its op is deleted): the step fails with the worker's message. */
  onRejected(op: Operation, message: string): void {
    const sweepId = this.#parentOf.get(op.operation_id);
    const state = sweepId ? this.#states.get(sweepId) : undefined;
    const entry = state?.children.find((c) => c.operation_id === op.operation_id);
    if (!sweepId || !state || !entry) return;
    entry.step_error = `rejected by the worker: ${message}`;
    this.#save(sweepId, state);
    this.#settle(sweepId);
  }

  /** A child as last known in memory; one that no longer exists (a rejected submission) reads as failed. */
  #peekChild(entry: SweepEntry): Operation {
    return this.#ended.get(entry.operation_id) ?? this.#deps.operations.known(entry.operation_id) ?? this.#gone(entry);
  }

  /** A child from memory or the store (a finished sweep's children are not in memory). */
  async #findChild(entry: SweepEntry): Promise<Operation> {
    const known = this.#ended.get(entry.operation_id) ?? this.#deps.operations.known(entry.operation_id);
    return known ?? (await this.#deps.operations.find(entry.operation_id)) ?? this.#gone(entry);
  }

  #gone(entry: SweepEntry): Operation {
    const now = new Date().toISOString();
    return {
      operation_id: entry.operation_id, operation_type: 'backtesting', status: 'failed', worker_id: null, created_at: now, started_at: null,
      completed_at: now, progress: { percentage: 0, current_step: null, steps_completed: 0, steps_total: 0, items_processed: 0, items_total: null },
      metadata: { parameters: {} }, error_message: entry.step_error ?? 'the operation no longer exists', result_summary: null,
    };
  }

  /** The parent, its children's states and the grid dimensions. */
  async view(sweepId: string): Promise<{ sweep: Operation; dimensions: string[]; children: { op: Operation; params: Record<string, unknown> }[] }> {
    const state = await this.#state(sweepId);
    const { operations } = this.#deps;
    const found = await operations.find(sweepId);
    if (!found) throw new OperationNotFoundError(sweepId);
    const sweep = { ...found };
    const ops = await Promise.all(state.children.map((c) => this.#findChild(c)));
    const children = state.children.map((c, i) => {
      const op = ops[i]!;
      return { op: c.step_error && isTerminal(op.status) ? { ...op, status: 'failed' as const, error_message: c.step_error } : op, params: c.params };
    });
    if (!isTerminal(sweep.status)) sweep.progress = this.#aggregate(state.children, children.map((c) => c.op));
    return { sweep, dimensions: state.dimensions, children };
  }

  async table(sweepId: string, sort?: string, order?: 'asc' | 'desc'): Promise<{ sweep: Operation; columns: string[]; rows: SweepRow[] }> {
    const { sweep, dimensions, children } = await this.view(sweepId);
    const columns = sweepColumns(dimensions);
    return { sweep, columns, rows: sortRows(sweepRows(children), columns, sort, order) };
  }

  async csv(sweepId: string, sort?: string, order?: 'asc' | 'desc'): Promise<string> {
    const { columns, rows } = await this.table(sweepId, sort, order);
    return toCsv(columns, rows);
  }

  async #state(sweepId: string): Promise<SweepState> {
    const cached = this.#states.get(sweepId);
    if (cached) return cached;
    await this.#deps.operations.persisted(sweepId).catch(() => undefined);
    const stored = (await this.#deps.store.getSweep(sweepId)) as SweepState | undefined;
    if (!stored) throw new OperationNotFoundError(sweepId);
    return stored;
  }

  #remember(sweepId: string, state: SweepState): void {
    this.#states.set(sweepId, state);
    for (const c of state.children) {
      this.#parentOf.set(c.operation_id, sweepId);
      if (c.training_id) this.#parentOf.set(c.training_id, sweepId);
    }
  }

  #forget(sweepId: string): void {
    const state = this.#states.get(sweepId);
    this.#states.delete(sweepId);
    for (const c of state?.children ?? []) {
      this.#parentOf.delete(c.operation_id);
      this.#ended.delete(c.operation_id);
      if (c.training_id) {
        this.#parentOf.delete(c.training_id);
        this.#ended.delete(c.training_id);
      }
    }
  }

  #progress(total: number, done: number, failed: number, percentage: number): Operation['progress'] {
    return {
      percentage,
      current_step: `${done}/${total} children done${failed ? ` (${failed} failed)` : ''}`,
      steps_completed: done,
      steps_total: total,
      items_processed: done,
      items_total: total,
    };
  }

  /** A step is done when its op ended and no backtest waits to follow its training. */
  #stepDone(entry: SweepEntry, op: Operation): boolean {
    return isTerminal(op.status) && !(entry.pending_backtest && op.status === 'completed');
  }

  #aggregate(entries: readonly SweepEntry[], ops: readonly Operation[]): Operation['progress'] {
    let done = 0;
    let failed = 0;
    let sum = 0;
    entries.forEach((e, i) => {
      const op = ops[i]!;
      const stepDone = this.#stepDone(e, op);
      if (stepDone) done++;
      if (op.status === 'failed' || (e.step_error && isTerminal(op.status))) failed++;
      // A neural step is half training, half backtest.
      const pct = stepDone ? 100 : isTerminal(op.status) ? 100 : op.progress.percentage;
      sum += e.pending_backtest ? pct / 2 : e.training_id ? 50 + pct / 2 : pct;
    });
    const pct = sum / Math.max(1, entries.length);
    return this.#progress(entries.length, done, failed, Math.round(pct * 100) / 100);
  }

  /** Updates the parent's progress, and ends it once every child has ended. */
  #settle(sweepId: string): void {
    const { operations } = this.#deps;
    const state = this.#states.get(sweepId);
    if (!state) return;
    const parent = operations.known(sweepId);
    if (!parent || isTerminal(parent.status)) {
      this.#forget(sweepId);
      return;
    }
    const children = state.children.map((c) => this.#peekChild(c));
    state.children.forEach((e, i) => {
      if (e.pending_backtest && children[i]!.status === 'completed') void this.#launchBacktest(sweepId, state, e, children[i]!);
    });
    const progress = this.#aggregate(state.children, children);
    if (state.children.some((e, i) => !this.#stepDone(e, children[i]!))) {
      operations.advance(sweepId, null, { progress });
      return;
    }
    // A step whose training stored no usable model counts as failed, though its training completed.
    const statusOf = (i: number) => (state.children[i]!.step_error ? 'failed' : children[i]!.status);
    const count = (s: string) => children.filter((_, i) => statusOf(i) === s).length;
    const [completed, failed, cancelled] = [count('completed'), count('failed'), count('cancelled')];
    const status = completed > 0 ? 'completed' : failed > 0 ? 'failed' : 'cancelled';
    operations.advance(sweepId, status, {
      progress: { ...progress, percentage: 100 },
      result_summary: { children: children.length, completed, failed, cancelled },
      error_message: status === 'completed' ? null : `${failed} of ${children.length} children failed, ${cancelled} cancelled`,
    });
    this.#log.info({ sweepId, status, completed, failed, cancelled }, 'sweep finished');
    this.#forget(sweepId);
  }

  readonly #launching = new Set<string>();

  /**
   * A neural walk-forward step's training completed: submits the backtest of the next window with
   * the model that training produced, and records it (so a restart neither loses nor repeats it).
   */
  async #launchBacktest(sweepId: string, state: SweepState, entry: SweepEntry, training: Operation): Promise<void> {
    const { operations, submitter, childSpec } = this.#deps;
    if (this.#launching.has(training.operation_id)) return;
    this.#launching.add(training.operation_id);
    try {
      const modelPath = training.result_summary?.['model_path'];
      let sub: PreparedSubmission | undefined;
      if (typeof modelPath !== 'string') {
        entry.step_error = 'the training stored no model_path';
      } else {
        try {
          sub = await submitter.prepare(childSpec, { ...entry.pending_backtest, model_path: modelPath });
        } catch (err) {
          entry.step_error = `the backtest of the trained model was refused: ${toError(err).message}`;
        }
      }
      const parent = operations.known(sweepId);
      if (!parent || isTerminal(parent.status)) return;
      if (sub) {
        const e = submitter.create(sub, { sweep_id: sweepId, sweep_params: entry.params, training_id: training.operation_id });
        entry.operation_id = e.operationId;
        this.#parentOf.set(e.operationId, sweepId);
        delete entry.pending_backtest;
        this.#save(sweepId, state);
        submitter.enqueue(e);
        this.#log.info({ sweepId, training: training.operation_id, backtest: e.operationId, modelPath }, 'walk-forward step: backtesting the trained model');
      } else {
        delete entry.pending_backtest;
        this.#save(sweepId, state);
        this.#log.warn({ sweepId, training: training.operation_id, error: entry.step_error }, 'walk-forward step failed after its training');
      }
    } finally {
      this.#launching.delete(training.operation_id);
    }
    this.#settle(sweepId);
  }

  async #cancelChildren(sweepId: string): Promise<void> {
    const { operations } = this.#deps;
    const state = this.#states.get(sweepId) ?? ((await this.#deps.store.getSweep(sweepId)) as SweepState | undefined);
    if (!state) return;
    const ops = await Promise.all(state.children.map((c) => this.#findChild(c)));
    this.#forget(sweepId);
    const open = state.children.filter((_, i) => !isTerminal(ops[i]!.status));
    await Promise.allSettled(
      open.map((c) =>
        operations.cancel(c.operation_id, `sweep ${sweepId} cancelled`).catch((err: unknown) => {
          this.#log.warn({ sweepId, operationId: c.operation_id, err: toError(err).message }, 'could not cancel a sweep child');
        }),
      ),
    );
    this.#log.info({ sweepId, cancelled: open.length }, 'sweep cancelled with its children');
  }
}
