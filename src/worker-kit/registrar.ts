import type { Logger } from 'pino';
import type { RegisterWorkerRequest } from '../contracts/index.js';
import { toError } from '../contracts/errors.js';

export interface RegistrarDeps {
  log: Logger;
  /** What to send; called at every (re-)registration so current_operation_id (and the endpoint) are current. */
  registration(): RegisterWorkerRequest | Promise<RegisterWorkerRequest>;
  workerId: string;
  /** When the backend last probed this worker's /health (epoch ms). */
  lastHealthCheckAt(): number;
  now?: () => number;
  /** Source of the backoff jitter, in [0, 1). @defaultValue Math.random */
  random?: () => number;
  /** Waits between registration attempts; resolves early when `signal` aborts. @defaultValue a timer */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The default `sleep`: a timer that an abort cuts short. */
function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

export interface RegistrarOptions {
  apiUrl: string;
  apiToken?: string | undefined;
  /** First retry delay; doubles up to maxBackoffMs. Each wait is jittered to 50–150 % of it. @defaultValue 1000 */
  initialBackoffMs?: number;
  /** @defaultValue 30000 */
  maxBackoffMs?: number;
  /** How often the worker asks the backend whether it still knows it. @defaultValue 5000 */
  checkIntervalMs?: number;
  /** No health check for this long → register again. @defaultValue 30000 */
  healthSilenceMs?: number;
  /** Timeout of one request to the backend. @defaultValue 5000 */
  requestTimeoutMs?: number;
}

/**
 * Self-registration: registers at start (retrying with exponential backoff, forever, logging each
 * failure), then watches that the backend still knows this worker: a 404 for `GET /workers/{id}`
 * (backend restarted) or a long silence of health checks triggers a new registration, which
 * carries current_operation_id so running work is re-attached.
 */
export class Registrar {
  readonly #deps: RegistrarDeps;
  readonly #log: Logger;
  readonly #opts: Required<Omit<RegistrarOptions, 'apiToken'>> & { apiToken: string | undefined };
  readonly #now: () => number;
  readonly #abort = new AbortController();
  #registering: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #registeredAt = 0;
  #registrations = 0;

  constructor(deps: RegistrarDeps, options: RegistrarOptions) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'registrar' });
    this.#now = deps.now ?? Date.now;
    this.#opts = {
      initialBackoffMs: 1_000,
      maxBackoffMs: 30_000,
      checkIntervalMs: 5_000,
      healthSilenceMs: 30_000,
      requestTimeoutMs: 5_000,
      ...options,
      apiToken: options.apiToken,
    };
  }

  /** Number of successful registrations so far. */
  get registrations(): number {
    return this.#registrations;
  }

  start(): void {
    void this.register();
    this.#timer ??= setInterval(() => void this.#check(), this.#opts.checkIntervalMs).unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#abort.abort();
  }

  #headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#opts.apiToken) h['authorization'] = `Bearer ${this.#opts.apiToken}`;
    return h;
  }

  #signal(): AbortSignal {
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#opts.requestTimeoutMs)]);
  }

  /** Registers, retrying until it succeeds or the registrar is closed. Concurrent calls share one loop. */
  register(): Promise<void> {
    return (this.#registering ??= this.#registerLoop().finally(() => {
      this.#registering = undefined;
    }));
  }

  async #registerLoop(): Promise<void> {
    let delay = this.#opts.initialBackoffMs;
    for (let attempt = 1; !this.#abort.signal.aborted; attempt++) {
      let body: RegisterWorkerRequest | undefined;
      try {
        body = await this.#deps.registration();
        const res = await fetch(`${this.#opts.apiUrl}/api/v1/workers/register`, {
          method: 'POST',
          headers: this.#headers(),
          body: JSON.stringify(body),
          signal: this.#signal(),
        });
        if (res.ok) {
          this.#registeredAt = this.#now();
          this.#registrations++;
          this.#log.info(
            { apiUrl: this.#opts.apiUrl, endpointUrl: body.endpoint_url, currentOperationId: body.current_operation_id ?? null, attempt },
            'registered with backend',
          );
          return;
        }
        const text = await res.text();
        if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) {
          // The backend refuses this registration (bad type, bad token, endpoint it can't reach, an id
          // in use…): retrying as is may not help, but the endpoint is detected anew each time and the
          // operator can fix the rest, so keep trying with backoff.
          this.#log.error({ status: res.status, endpointUrl: body.endpoint_url, body: text.slice(0, 500) }, 'backend refused registration');
        } else {
          this.#log.warn({ status: res.status, attempt, retryInMs: delay }, 'registration failed; retrying');
        }
      } catch (err) {
        if (this.#abort.signal.aborted) return;
        this.#log.warn(
          { apiUrl: this.#opts.apiUrl, attempt, retryInMs: delay, err: toError(err).message },
          'backend unreachable; retrying registration',
        );
      }
      // Jitter: a hundred workers don't re-register in the same millisecond after a backend restart.
      await (this.#deps.sleep ?? sleepUnlessAborted)(delay * (0.5 + (this.#deps.random ?? Math.random)()), this.#abort.signal);
      delay = Math.min(delay * 2, this.#opts.maxBackoffMs);
    }
  }

  async #check(): Promise<void> {
    if (this.#registering || this.#registrations === 0) return;
    const now = this.#now();
    const lastProbe = Math.max(this.#deps.lastHealthCheckAt(), this.#registeredAt);
    if (now - lastProbe > this.#opts.healthSilenceMs) {
      this.#log.warn({ silentForMs: now - lastProbe }, 'no health check from the backend for too long; registering again');
      void this.register();
      return;
    }
    const worker_id = this.#deps.workerId;
    try {
      const res = await fetch(`${this.#opts.apiUrl}/api/v1/workers/${encodeURIComponent(worker_id)}`, {
        headers: this.#headers(),
        signal: this.#signal(),
      });
      await res.body?.cancel();
      if (res.status === 404) {
        this.#log.warn('backend does not know this worker (restarted?); registering again');
        void this.register();
      }
    } catch {
      // Backend down: nothing to do until it answers again.
    }
  }
}
