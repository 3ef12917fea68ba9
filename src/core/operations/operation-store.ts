import type { MetricRecord, Operation, OperationStatus } from '../../contracts/index.js';

export interface OperationQuery {
  status?: OperationStatus;
  operationType?: string;
  activeOnly?: boolean;
  limit: number;
  offset: number;
}

/** A queued operation's place and where it goes (the scheduler's durable input). */
export interface QueuedRow {
  operationId: string;
  seq: number;
  priority: number;
  /** The dispatch target stored with the op (opaque here). */
  dispatch: unknown;
}

/** An active (queued, pending or running) operation with its place in the queue order. */
export interface ActiveRecord {
  op: Operation;
  seq: number;
  /** The dispatch target stored with the op (opaque here); undefined when it has none. */
  dispatch: unknown;
}

export interface OperationPage {
  items: Operation[];
  total: number;
  active: number;
}

/**
 * Durable record of every operation the backend accepted: its state, the request as submitted,
 * its metrics and its full result. Asynchronous, so that a network database (PostgreSQL) fits
 * behind it as well as the embedded SQLite one.
 *
 * The backend is the single writer: OperationsService decides every change on its in-memory copy
 * of the active operations and writes it here, serialized per operation. The store still refuses
 * to overwrite a terminal row (the state machine's last line of defence), and stamps `updated_at`
 * with its own clock.
 */
export interface OperationStore {
  /**
   * Stores a new operation together with the request that created it, its sequence number
   * (submission order, assigned by the single writer) and, for the queue, where it is to be
   * dispatched.
   */
  insert(op: Operation, request: unknown, dispatch: unknown, seq: number): Promise<void>;
  /** The highest sequence number stored (0 when empty). */
  maxSeq(): Promise<number>;
  /** Forgets an operation entirely (a submission a worker rejected: not history). */
  delete(operationId: string): Promise<void>;
  /** Queued operations in dispatch order (priority descending, then seq). */
  listQueued(): Promise<QueuedRow[]>;
  /** An operation's sequence, priority and dispatch target. */
  dispatchOf(operationId: string): Promise<QueuedRow | undefined>;
  /**
   * Writes `op` (taking it out of the queue: pending, with its new attempt) only if the stored row
   * is still `queued` and nobody else is claiming it right now (PostgreSQL: `FOR UPDATE SKIP
   * LOCKED`; SQLite: one writer at a time). False: another backend on the same store took it.
   */
  claim(op: Operation): Promise<boolean>;
  /**
   * Replaces the stored state of an existing, non-terminal operation. Resolves false (and writes
   * nothing) when the stored operation is already terminal: terminal states are final.
   */
  update(op: Operation): Promise<boolean>;
  get(operationId: string): Promise<Operation | undefined>;
  /** When the store last wrote the row, by the database's clock (ISO 8601). */
  updatedAt(operationId: string): Promise<string | undefined>;
  /** Newest first. */
  list(query: OperationQuery): Promise<OperationPage>;
  /** Every queued, pending or running operation, oldest first. */
  listActive(): Promise<ActiveRecord[]>;
  getRequest(operationId: string): Promise<unknown>;
  /** Replaces the stored metrics of an operation (the worker's full list, in order). */
  saveMetrics(operationId: string, metrics: MetricRecord[]): Promise<void>;
  /** Metrics after `cursor` (the count already seen). */
  getMetrics(operationId: string, cursor: number): Promise<MetricRecord[]>;
  saveResult(operationId: string, result: unknown): Promise<void>;
  getResult(operationId: string): Promise<unknown | undefined>;
  /** A sweep's durable state (its children and plan), opaque here. */
  saveSweep(sweepId: string, state: unknown): Promise<void>;
  getSweep(sweepId: string): Promise<unknown | undefined>;
  /** Sweeps whose parent operation is not terminal yet, oldest first. */
  activeSweepIds(): Promise<string[]>;
  /** Counts by type and status, for monitoring. */
  countByTypeAndStatus(): Promise<{ operation_type: string; status: OperationStatus; count: number }[]>;
  close(): Promise<void>;
}
