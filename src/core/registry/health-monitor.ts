import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { WorkerHealthReport } from '../../contracts/index.js';
import { toError } from '../../contracts/errors.js';
import type { WorkerClient } from '../worker-client.js';
import type { WorkerRecord, WorkerRegistry } from './worker-registry.js';

export interface HealthMonitorDeps {
  registry: WorkerRegistry;
  client: WorkerClient;
  log: Logger;
  now?: () => number;
  /** Called after a healthy reply has been applied to the registry. */
  onReport?(worker: WorkerRecord, report: WorkerHealthReport): Promise<void> | void;
  /** Called when a worker crosses the failure threshold (it stopped answering). */
  onUnreachable?(worker: WorkerRecord): void;
  /** Called after a worker was removed for being unavailable too long. */
  onRemoved?(worker: WorkerRecord): void;
  /** Monotonic clock for the removal timer. @defaultValue performance.now */
  monotonicNow?: () => number;
}

export interface HealthMonitorOptions {
  /** Time between probes of one worker. @defaultValue 10000 */
  intervalMs?: number;
  /** Timeout of one probe. @defaultValue 5000 */
  timeoutMs?: number;
  /** Consecutive failures before a worker is temporarily_unavailable. @defaultValue 3 */
  failureThreshold?: number;
  /** Unavailable for longer than this → removed. @defaultValue 300000 */
  removalThresholdMs?: number;
  /** Probes in flight at once, across all workers. @defaultValue 64 */
  concurrency?: number;
}

/**
 * Probes every registered worker's `/health` on a timer and applies the answers to the registry.
 * Each worker is probed independently: a slow or dead worker only delays its own next probe, and
 * at most `concurrency` probes run at once so a thousand workers don't open a thousand sockets.
 */
export class HealthMonitor {
  readonly #deps: HealthMonitorDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #mono: () => number;
  readonly #opts: Required<HealthMonitorOptions>;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #queue: (() => void)[] = [];
  readonly #abort = new AbortController();
  #running = 0;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(deps: HealthMonitorDeps, options: HealthMonitorOptions = {}) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'health-monitor' });
    this.#now = deps.now ?? Date.now;
    this.#mono = deps.monotonicNow ?? (() => performance.now());
    this.#opts = {
      intervalMs: 10_000,
      timeoutMs: 5_000,
      failureThreshold: 3,
      removalThresholdMs: 300_000,
      concurrency: 64,
      ...options,
    };
    // Every probe in flight listens on the shutdown signal: not a leak, up to `concurrency` of them.
    setMaxListeners(this.#opts.concurrency + 10, this.#abort.signal);
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.checkAll(), this.#opts.intervalMs).unref();
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.#abort.abort();
      await Promise.allSettled([...this.#inFlight.values()]);
    })());
  }

  /** Starts a probe for every worker not already being probed; resolves when those probes end. */
  checkAll(): Promise<void> {
    const started: Promise<void>[] = [];
    for (const worker of this.#deps.registry.list()) {
      if (this.#inFlight.has(worker.workerId)) continue;
      const p = this.#probe(worker).finally(() => this.#inFlight.delete(worker.workerId));
      this.#inFlight.set(worker.workerId, p);
      started.push(p);
    }
    return Promise.allSettled(started).then(() => undefined);
  }

  async #slot(): Promise<void> {
    if (this.#running < this.#opts.concurrency) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#running--;
  }

  async #probe(worker: WorkerRecord): Promise<void> {
    await this.#slot();
    const startedAt = this.#now();
    let report: WorkerHealthReport | undefined;
    let failure: string | undefined;
    try {
      report = await this.#deps.client.health(worker.endpointUrl, this.#opts.timeoutMs, this.#abort.signal);
      if (!report.healthy) failure = 'worker reports unhealthy';
    } catch (err) {
      failure = toError(err).message;
    } finally {
      this.#release();
    }
    if (this.#abort.signal.aborted) return;
    // The worker may have been removed or re-registered (new record) while the probe ran.
    const current = this.#deps.registry.get(worker.workerId);
    if (current !== worker) return;
    if (report && failure === undefined) await this.#applyHealthy(worker, report, startedAt);
    else this.#applyFailure(worker, failure ?? 'unknown');
  }

  async #applyHealthy(worker: WorkerRecord, report: WorkerHealthReport, probeStartedAt: number): Promise<void> {
    const now = this.#now();
    const wasUnavailable = worker.status === 'temporarily_unavailable';
    worker.lastHealthCheck = now;
    worker.lastHealthyAt = now;
    worker.healthCheckFailures = 0;
    worker.unavailableSince = null;
    worker.unreachableSince = null;
    if (report.worker_status === 'draining') {
      worker.status = 'temporarily_unavailable';
      worker.unavailableSince = this.#mono();
      worker.currentOperationId = report.current_operation;
      worker.metadata = { ...worker.metadata, draining: true };
    } else if (report.worker_status === 'busy') {
      worker.status = 'busy';
      worker.currentOperationId = report.current_operation;
    } else if (worker.lastAssignedAt <= probeStartedAt) {
      // An idle answer to a probe sent before the latest dispatch says nothing about that dispatch.
      worker.status = 'available';
      worker.currentOperationId = null;
    }
    if (wasUnavailable && report.worker_status !== 'draining') {
      this.#log.info({ workerId: worker.workerId }, 'worker healthy again');
    }
    try {
      await this.#deps.onReport?.(worker, report);
    } catch (err) {
      this.#log.error({ workerId: worker.workerId, err: toError(err) }, 'handling health report failed');
    }
  }

  #applyFailure(worker: WorkerRecord, reason: string): void {
    worker.lastHealthCheck = this.#now();
    const now = this.#mono();
    worker.healthCheckFailures++;
    this.#log.debug({ workerId: worker.workerId, failures: worker.healthCheckFailures, reason }, 'health check failed');
    if (worker.unreachableSince === null && worker.healthCheckFailures >= this.#opts.failureThreshold) {
      if (worker.status !== 'temporarily_unavailable') worker.unavailableSince = now;
      worker.status = 'temporarily_unavailable';
      worker.unreachableSince = now;
      this.#log.warn({ workerId: worker.workerId, failures: worker.healthCheckFailures, reason }, 'worker temporarily unavailable');
      this.#deps.onUnreachable?.(worker);
    }
    if (
      worker.status === 'temporarily_unavailable' &&
      worker.unavailableSince !== null &&
      now - worker.unavailableSince >= this.#opts.removalThresholdMs
    ) {
      this.#deps.registry.remove(worker.workerId);
      this.#log.warn({ workerId: worker.workerId, unavailableMs: now - worker.unavailableSince }, 'worker removed');
      this.#deps.onRemoved?.(worker);
    }
  }
}
