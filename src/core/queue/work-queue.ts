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
  /**
   * The first entry of each kind (worker type + selection rules) in dispatch order. Entries of one
   * kind fit exactly the same workers, so a scheduler only ever needs to look at these.
   */
  heads(): IterableIterator<QueueEntry>;
  /** 1-based place in dispatch order, or null when not queued. */
  position(operationId: string): number | null;
  readonly size: number;
}

/** Dispatch order: higher priority first, then first submitted. */
export function before(a: QueueEntry, b: QueueEntry): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

const kinds = new WeakMap<QueueEntry, string>();

/**
 * Which workers can take an entry: its worker type and selection rules (entries of one kind are
 * interchangeable). Computed once per entry: a scheduler pass asks for every head's kind.
 */
export function kindOf(e: QueueEntry): string {
  let kind = kinds.get(e);
  if (kind === undefined) {
    const sel = e.target.selection;
    kind = sel === undefined ? e.target.workerType : `${e.target.workerType}|${JSON.stringify(sel)}`;
    kinds.set(e, kind);
  }
  return kind;
}

/** Inserts `entry` into `list`, kept in dispatch order (binary search). */
function insertSorted(list: QueueEntry[], entry: QueueEntry): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid]!, entry)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, entry);
}

function removeFrom(list: QueueEntry[], entry: QueueEntry): void {
  // Dispatch takes heads: the entry is almost always first.
  const i = list[0] === entry ? 0 : list.indexOf(entry);
  if (i >= 0) list.splice(i, 1);
}

/**
 * WorkQueue as sorted in-memory indexes (the store holds the durable copy): one over everything
 * (positions, listing) and one per kind (what the scheduler reads on every pass, so a pass costs
 * the number of kinds, not the number of queued entries). Kept sorted on every change.
 */
export class MemoryWorkQueue implements WorkQueue {
  readonly #byId = new Map<string, QueueEntry>();
  readonly #sorted: QueueEntry[] = [];
  readonly #byKind = new Map<string, QueueEntry[]>();

  add(entry: QueueEntry): void {
    if (this.#byId.has(entry.operationId)) this.remove(entry.operationId);
    const kind = kindOf(entry);
    this.#byId.set(entry.operationId, entry);
    insertSorted(this.#sorted, entry);
    let list = this.#byKind.get(kind);
    if (!list) this.#byKind.set(kind, (list = []));
    insertSorted(list, entry);
  }

  remove(operationId: string): boolean {
    const entry = this.#byId.get(operationId);
    if (!entry) return false;
    this.#byId.delete(operationId);
    removeFrom(this.#sorted, entry);
    const kind = kindOf(entry);
    const list = this.#byKind.get(kind)!;
    removeFrom(list, entry);
    if (list.length === 0) this.#byKind.delete(kind);
    return true;
  }

  has(operationId: string): boolean {
    return this.#byId.has(operationId);
  }

  /** Dispatch order. The array is the queue's own: read it, don't change it. */
  entries(): QueueEntry[] {
    return this.#sorted;
  }

  *heads(): IterableIterator<QueueEntry> {
    for (const list of this.#byKind.values()) yield list[0]!;
  }

  position(operationId: string): number | null {
    const entry = this.#byId.get(operationId);
    return entry ? this.#sorted.indexOf(entry) + 1 : null;
  }

  get size(): number {
    return this.#byId.size;
  }
}
