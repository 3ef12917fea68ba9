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

export interface OperationPage {
  items: Operation[];
  total: number;
  active: number;
}

/**
 * Durable record of every operation the backend accepted: its state, the request as submitted,
 * its metrics and its full result. Synchronous because SQLite via better-sqlite3 is.
 */
export interface OperationStore {
  /**
   * Stores a new operation together with the request that created it and, for the queue, where it
   * is to be dispatched. Returns its sequence number (submission order).
   */
  insert(op: Operation, request: unknown, dispatch?: unknown): number;
  /** Forgets an operation entirely (a submission a worker rejected: not history). */
  delete(operationId: string): void;
  /** Queued operations in dispatch order. */
  listQueued(): QueuedRow[];
  /** A (queued) operation's sequence, priority and dispatch target. */
  dispatchOf(operationId: string): QueuedRow | undefined;
  /**
   * Replaces the stored state of an existing, non-terminal operation. Returns false (and writes
   * nothing) when the stored operation is already terminal: terminal states are final.
   */
  update(op: Operation): boolean;
  get(operationId: string): Operation | undefined;
  /** Newest first. */
  list(query: OperationQuery): OperationPage;
  /** Every queued, pending or running operation, oldest first. */
  listActive(): Operation[];
  getRequest(operationId: string): unknown;
  /** Replaces the stored metrics of an operation (the worker's full list, in order). */
  saveMetrics(operationId: string, metrics: MetricRecord[]): void;
  /** Metrics after `cursor` (the count already seen). */
  getMetrics(operationId: string, cursor: number): MetricRecord[];
  saveResult(operationId: string, result: unknown): void;
  getResult(operationId: string): unknown | undefined;
  /** A sweep's durable state (its children and plan), opaque here. */
  saveSweep(sweepId: string, state: unknown): void;
  getSweep(sweepId: string): unknown | undefined;
  /** Sweeps whose parent operation is not terminal yet, oldest first. */
  activeSweepIds(): string[];
  /** Counts by type and status, for monitoring. */
  countByTypeAndStatus(): { operation_type: string; status: OperationStatus; count: number }[];
  close(): void;
}
