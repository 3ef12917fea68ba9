/**
 * Write-behind for the single writer: each key (an operation id) gets its own chain, so one
 * operation's writes land in the order they were decided, while different operations' writes run
 * concurrently. A caller that must not act before a change is durable (reply to a worker, send a
 * start request) awaits `settled(key)`.
 */
export class OperationWriter {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #onError: (key: string, err: unknown) => void;

  constructor(onError: (key: string, err: unknown) => void) {
    this.#onError = onError;
  }

  /** Queues `write` after the key's earlier writes (whether they succeeded or not); resolves when it has run. */
  enqueue(key: string, write: () => Promise<unknown>): Promise<void> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(write)
      .then(
        () => undefined,
        (err: unknown) => {
          this.#onError(key, err);
          throw err;
        },
      );
    this.#tails.set(key, next);
    const cleanup = () => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  /** Resolves once every write queued so far for `key` has run; rejects when the last one failed. */
  settled(key: string): Promise<void> {
    return this.#tails.get(key) ?? Promise.resolve();
  }

  /** Resolves once the writes queued so far have run (failures included); later ones are not waited for. */
  async settledAll(): Promise<void> {
    await Promise.allSettled([...this.#tails.values()]);
  }

  /** Resolves once no write is queued any more (at close: nothing new is being queued). */
  async drain(): Promise<void> {
    while (this.#tails.size > 0) await Promise.allSettled([...this.#tails.values()]);
  }

  get pending(): number {
    return this.#tails.size;
  }
}
