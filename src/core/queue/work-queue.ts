import type { DispatchTarget } from '../dispatch/dispatcher.js';

/** One operation waiting for a worker. */
export interface QueueEntry {
  operationId: string;
  /** Higher first. */
  priority: number;
  /** Submission order (the store's sequence): FIFO within a priority, kept across re-queues. */
  seq: number;
  target: DispatchTarget;
}

/**
 * The backend's waiting line. Durable state lives in the operations store (rows with status
 * `queued`, their priority, sequence and dispatch target); an implementation is the index the
 * scheduler reads. The SQLite backend keeps it in memory, loaded from the store at start; a
 * PostgreSQL implementation would answer `take` with `SELECT … FOR UPDATE SKIP LOCKED` instead.
 */
export interface WorkQueue {
  add(entry: QueueEntry): void;
  /** Removes an entry (dispatched, cancelled); false when it was not queued. */
  remove(operationId: string): boolean;
  has(operationId: string): boolean;
  /** Entries in dispatch order: priority descending, then seq ascending. */
  entries(): QueueEntry[];
  /** 1-based place in dispatch order, or null when not queued. */
  position(operationId: string): number | null;
  readonly size: number;
}

/** WorkQueue as a sorted in-memory index (the store holds the durable copy). */
export class MemoryWorkQueue implements WorkQueue {
  readonly #byId = new Map<string, QueueEntry>();
  #sorted: QueueEntry[] | null = [];

  add(entry: QueueEntry): void {
    this.#byId.set(entry.operationId, entry);
    this.#sorted = null;
  }

  remove(operationId: string): boolean {
    const had = this.#byId.delete(operationId);
    if (had) this.#sorted = null;
    return had;
  }

  has(operationId: string): boolean {
    return this.#byId.has(operationId);
  }

  entries(): QueueEntry[] {
    this.#sorted ??= [...this.#byId.values()].sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    return this.#sorted;
  }

  position(operationId: string): number | null {
    if (!this.#byId.has(operationId)) return null;
    return this.entries().findIndex((e) => e.operationId === operationId) + 1;
  }

  get size(): number {
    return this.#byId.size;
  }
}
