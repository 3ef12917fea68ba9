import type { Logger } from 'pino';
import { isTerminal, type Operation, type SweepRequest } from '../../contracts/index.js';
import { InvalidRequestError, OperationNotFoundError, QueueFullError, toError } from '../errors.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { PreparedSubmission, StartRouteSpec, Submitter } from '../queue/submitter.js';
import { sortRows, sweepColumns, sweepRows, toCsv, type SweepRow } from './sweep-table.js';

/** What a planner makes of a sweep request (see workers/sweep/plan-sweep.ts). */
export interface SweepPlanLike {
  strategyName: string;
  dimensions: string[];
  children: { params: Record<string, unknown>; request: Record<string, unknown> }[];
}

export interface SweepServiceDeps {
  operations: OperationsService;
  submitter: Submitter;
  store: Pick<OperationStore, 'saveSweep' | 'getSweep' | 'activeSweepIds'>;
  /** The start route its children go through (backtests). */
  childSpec: StartRouteSpec;
  /** Expands a request into children; throws InvalidRequestError. */
  plan(request: SweepRequest): SweepPlanLike;
  log: Logger;
}

/** A sweep's durable state (the `sweeps` table), keyed by its parent operation's id. */
interface SweepState {
  version: 1;
  strategy_name: string;
  dimensions: string[];
  children: { operation_id: string; params: Record<string, unknown> }[];
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

  constructor(deps: SweepServiceDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'sweeps' });
  }

  /** Validates everything, then stores the parent and every child at once and queues the children. */
  async create(request: SweepRequest): Promise<{ sweepId: string; childIds: string[] }> {
    const { operations, submitter, childSpec } = this.#deps;
    const plan = this.#deps.plan(request);
    const prepared: PreparedSubmission[] = [];
    for (const child of plan.children) {
      try {
        prepared.push(await submitter.prepare(childSpec, child.request));
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
    const entries = prepared.map((sub, i) => submitter.create(sub, { sweep_id: sweepId, sweep_params: plan.children[i]!.params }));
    const state: SweepState = {
      version: 1,
      strategy_name: plan.strategyName,
      dimensions: plan.dimensions,
      children: entries.map((e, i) => ({ operation_id: e.operationId, params: plan.children[i]!.params })),
    };
    this.#deps.store.saveSweep(sweepId, state);
    this.#remember(sweepId, state);
    for (const e of entries) submitter.enqueue(e);
    this.#log.info({ sweepId, children: entries.length, strategy: plan.strategyName }, 'sweep created');
    return { sweepId, childIds: entries.map((e) => e.operationId) };
  }

  /** At start: picks up the sweeps a previous process left unfinished. */
  resume(): void {
    const { operations, store } = this.#deps;
    const ids = new Set(store.activeSweepIds());
    for (const id of ids) {
      const state = store.getSweep(id) as SweepState | undefined;
      if (state) this.#remember(id, state);
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
    if (sweepId) this.#settle(sweepId);
  }

  /** The parent, its children's states and the grid dimensions. */
  view(sweepId: string): { sweep: Operation; dimensions: string[]; children: { op: Operation; params: Record<string, unknown> }[] } {
    const state = this.#state(sweepId);
    const { operations } = this.#deps;
    const sweep = operations.peek(sweepId);
    const children = state.children.map((c) => ({ op: operations.peek(c.operation_id), params: c.params }));
    if (!isTerminal(sweep.status)) sweep.progress = this.#aggregate(children.map((c) => c.op));
    return { sweep, dimensions: state.dimensions, children };
  }

  table(sweepId: string, sort?: string, order?: 'asc' | 'desc'): { sweep: Operation; columns: string[]; rows: SweepRow[] } {
    const { sweep, dimensions, children } = this.view(sweepId);
    const columns = sweepColumns(dimensions);
    return { sweep, columns, rows: sortRows(sweepRows(children), columns, sort, order) };
  }

  csv(sweepId: string, sort?: string, order?: 'asc' | 'desc'): string {
    const { columns, rows } = this.table(sweepId, sort, order);
    return toCsv(columns, rows);
  }

  #state(sweepId: string): SweepState {
    const cached = this.#states.get(sweepId);
    if (cached) return cached;
    const stored = this.#deps.store.getSweep(sweepId) as SweepState | undefined;
    if (!stored) throw new OperationNotFoundError(sweepId);
    return stored;
  }

  #remember(sweepId: string, state: SweepState): void {
    this.#states.set(sweepId, state);
    for (const c of state.children) this.#parentOf.set(c.operation_id, sweepId);
  }

  #forget(sweepId: string): void {
    const state = this.#states.get(sweepId);
    this.#states.delete(sweepId);
    for (const c of state?.children ?? []) this.#parentOf.delete(c.operation_id);
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

  #aggregate(children: readonly Operation[]): Operation['progress'] {
    const done = children.filter((c) => isTerminal(c.status)).length;
    const failed = children.filter((c) => c.status === 'failed').length;
    const pct = children.reduce((s, c) => s + (isTerminal(c.status) ? 100 : c.progress.percentage), 0) / Math.max(1, children.length);
    return this.#progress(children.length, done, failed, Math.round(pct * 100) / 100);
  }

  /** Updates the parent's progress, and ends it once every child has ended. */
  #settle(sweepId: string): void {
    const { operations } = this.#deps;
    const state = this.#states.get(sweepId);
    if (!state) return;
    const parent = operations.peek(sweepId);
    if (isTerminal(parent.status)) {
      this.#forget(sweepId);
      return;
    }
    const children = state.children.map((c) => operations.peek(c.operation_id));
    const progress = this.#aggregate(children);
    if (children.some((c) => !isTerminal(c.status))) {
      operations.advance(sweepId, null, { progress });
      return;
    }
    const count = (s: string) => children.filter((c) => c.status === s).length;
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

  async #cancelChildren(sweepId: string): Promise<void> {
    const { operations } = this.#deps;
    const state = this.#states.get(sweepId) ?? (this.#deps.store.getSweep(sweepId) as SweepState | undefined);
    this.#forget(sweepId);
    if (!state) return;
    const open = state.children.filter((c) => !isTerminal(operations.peek(c.operation_id).status));
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
