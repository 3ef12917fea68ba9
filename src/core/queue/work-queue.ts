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
 * `queued`, their priority, sequence and dispatch target); this is the index the scheduler reads,
 * kept in memory and loaded from the store at start. Who actually takes a queued op is decided
 * by the store: the write that opens its first attempt is a claim (`OperationStore.claim`,
 * PostgreSQL `FOR UPDATE SKIP LOCKED`), so another backend on the same store never runs it too.
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

/**
 * WorkQueue as a sorted in-memory index (the store holds the durable copy). Kept sorted on every
 * change (binary-search insert, splice on remove), so the scheduler's frequent reads never sort.
 */
export class MemoryWorkQueue implements WorkQueue {
  readonly #byId = new Map<string, QueueEntry>();
  readonly #sorted: QueueEntry[] = [];

  add(entry: QueueEntry): void {
    if (this.#byId.has(entry.operationId)) this.remove(entry.operationId);
    this.#byId.set(entry.operationId, entry);
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.#sorted[mid]!;
      if (m.priority > entry.priority || (m.priority === entry.priority && m.seq < entry.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.#sorted.splice(lo, 0, entry);
  }

  remove(operationId: string): boolean {
    const entry = this.#byId.get(operationId);
    if (!entry) return false;
    this.#byId.delete(operationId);
    this.#sorted.splice(this.#sorted.indexOf(entry), 1);
    return true;
  }

  has(operationId: string): boolean {
    return this.#byId.has(operationId);
  }

  /** Dispatch order. The array is the queue's own: read it, don't change it. */
  entries(): QueueEntry[] {
    return this.#sorted;
  }

  position(operationId: string): number | null {
    const entry = this.#byId.get(operationId);
    return entry ? this.#sorted.indexOf(entry) + 1 : null;
  }

  get size(): number {
    return this.#byId.size;
  }
}
