import type { Attempt, Operation, OperationStatus } from '../../contracts/index.js';
import type { QueuedRow } from './operation-store.js';

/**
 * An operations row as both SQL stores keep it: JSON-valued fields as text (so what a worker sent
 * comes back byte for byte), the operation's own timestamps as the ISO strings the backend stamped.
 */
export interface OperationRow {
  operation_id: string;
  operation_type: string;
  status: OperationStatus;
  worker_id: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  progress: string;
  metadata: string;
  error_message: string | null;
  result_summary: string | null;
  status_detail: string | null;
  attempts: string;
  priority: number;
  max_attempts: number;
}

/**
 * The columns of an {@link OperationRow}, in table order: both stores build their statements from
 * this list (the `satisfies` keeps it and OperationRow in step).
 */
export const OPERATION_COLUMNS = Object.keys({
  operation_id: 1, operation_type: 1, status: 1, worker_id: 1, created_at: 1, started_at: 1, completed_at: 1, progress: 1,
  metadata: 1, error_message: 1, result_summary: 1, status_detail: 1, attempts: 1, priority: 1, max_attempts: 1,
} satisfies Record<keyof OperationRow, 1>) as readonly (keyof OperationRow)[];

/** The columns a write after the insert sets: all but the id, the type and the creation time, which never change. */
export const MUTABLE_COLUMNS = OPERATION_COLUMNS.filter((c) => c !== 'operation_id' && c !== 'operation_type' && c !== 'created_at');

export const ACTIVE_SQL = `('queued','pending','running')`;
export const TERMINAL_SQL = `('completed','failed','cancelled')`;

export function toOperation(r: OperationRow): Operation {
  return {
    operation_id: r.operation_id,
    operation_type: r.operation_type,
    status: r.status,
    worker_id: r.worker_id,
    created_at: r.created_at,
    started_at: r.started_at,
    completed_at: r.completed_at,
    progress: JSON.parse(r.progress) as Operation['progress'],
    metadata: JSON.parse(r.metadata) as Operation['metadata'],
    error_message: r.error_message,
    result_summary: r.result_summary === null ? null : (JSON.parse(r.result_summary) as Record<string, unknown>),
    status_detail: r.status_detail,
    attempts: JSON.parse(r.attempts) as Attempt[],
    priority: Number(r.priority),
    max_attempts: Number(r.max_attempts),
  };
}

/** The row's columns for an operation (named parameters; the PostgreSQL store orders them). */
export function toRow(op: Operation): OperationRow {
  return {
    operation_id: op.operation_id,
    operation_type: op.operation_type,
    status: op.status,
    worker_id: op.worker_id,
    created_at: op.created_at,
    started_at: op.started_at,
    completed_at: op.completed_at,
    progress: JSON.stringify(op.progress),
    metadata: JSON.stringify(op.metadata),
    error_message: op.error_message,
    result_summary: op.result_summary === null ? null : JSON.stringify(op.result_summary),
    status_detail: op.status_detail ?? null,
    attempts: JSON.stringify(op.attempts ?? []),
    priority: op.priority ?? 0,
    max_attempts: op.max_attempts ?? 1,
  };
}

export function toQueuedRow(r: { operation_id: string; seq: number | string; priority: number; dispatch: string | null }): QueuedRow {
  return {
    operationId: r.operation_id,
    seq: Number(r.seq),
    priority: Number(r.priority),
    dispatch: r.dispatch === null ? undefined : (JSON.parse(r.dispatch) as unknown),
  };
}

export function stringifyOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
