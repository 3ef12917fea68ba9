/**
 * The one job a worker holds ahead (prefetched: the backend gave it in a report reply while another
 * job ran), shared between the job thread that will start it and the HTTP thread that may have to
 * give it back. Three Int32 words in shared memory, each an attempt's key (0: none):
 *
 * - HELD: the attempt the job thread holds and has not started;
 * - REVOKED: the last attempt the backend took back;
 * - STARTED: the last attempt the job thread started from the slot.
 *
 * The start and the revocation race on one compare-and-swap of HELD, so exactly one wins: a
 * revoked attempt never starts, and a started one is never reported revoked. A revocation that
 * arrives before the job does leaves its key in REVOKED, and the thread refuses the job when it
 * arrives (each side writes its word before it reads the other's: sequentially consistent atomics).
 */
const HELD = 0;
const REVOKED = 1;
const STARTED = 2;
export const PREFETCH_SLOT_BYTES = 12;

/** The attempt id as a non-zero 31-bit key (FNV-1a). Two attempts of one worker colliding in one slot's life is a 1-in-2^31 event. */
export function attemptKey(attemptId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < attemptId.length; i++) {
    h ^= attemptId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 1) | 1;
}

export class PrefetchSlot {
  readonly #words: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#words = new Int32Array(buffer);
  }

  /** Job thread: takes the attempt into the slot. False when the slot is taken or the attempt was revoked before it arrived. */
  hold(attemptId: string): boolean {
    const key = attemptKey(attemptId);
    if (Atomics.compareExchange(this.#words, HELD, 0, key) !== 0) return false;
    if (Atomics.load(this.#words, REVOKED) === key) {
      Atomics.compareExchange(this.#words, HELD, key, 0);
      return false;
    }
    return true;
  }

  /** Job thread: takes the held attempt out to start it. False when the backend revoked it first. */
  take(attemptId: string): boolean {
    const key = attemptKey(attemptId);
    Atomics.store(this.#words, STARTED, key);
    if (Atomics.compareExchange(this.#words, HELD, key, 0) === key) return true;
    Atomics.compareExchange(this.#words, STARTED, key, 0);
    return false;
  }

  /** Job thread: gives the held attempt up without starting it (the backend learns from the final report). */
  release(attemptId: string): void {
    const key = attemptKey(attemptId);
    Atomics.compareExchange(this.#words, HELD, key, 0);
  }

  /** HTTP thread: the backend takes the attempt back. */
  revoke(attemptId: string): 'revoked' | 'started' {
    const key = attemptKey(attemptId);
    Atomics.store(this.#words, REVOKED, key);
    if (Atomics.compareExchange(this.#words, HELD, key, 0) === key) return 'revoked';
    return Atomics.load(this.#words, STARTED) === key ? 'started' : 'revoked';
  }

  /** HTTP thread: empties the slot after its job thread died (nothing else would). */
  clear(): void {
    Atomics.store(this.#words, HELD, 0);
  }

  /** The key of the held attempt, 0 when none (for tests and logs). */
  heldKey(): number {
    return Atomics.load(this.#words, HELD);
  }
}
