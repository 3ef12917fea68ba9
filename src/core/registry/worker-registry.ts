import type {
  RegisterWorkerRequest,
  StatusCounts,
  WorkerCapabilities,
  WorkerInfo,
  WorkerStatus,
  WorkersHealthSummary,
} from '../../contracts/index.js';

/**
 * The backend's view of one worker. Times are epoch ms. Read-only outside this module: every
 * change of a worker's state goes through a WorkerRegistry method (see the transitions below).
 */
export interface WorkerRecord {
  readonly workerId: string;
  readonly workerType: string;
  readonly endpointUrl: string;
  readonly status: WorkerStatus;
  readonly currentOperationId: string | null;
  readonly capabilities: WorkerCapabilities;
  readonly metadata: Record<string, unknown>;
  readonly registeredAt: number;
  readonly lastHealthCheck: number | null;
  readonly lastHealthyAt: number | null;
  readonly healthCheckFailures: number;
  /** Monotonic ms when the worker became temporarily_unavailable; drives removal. */
  readonly unavailableSince: number | null;
  /** Monotonic ms since when it fails health checks (not set while draining); drives its ops' orphan clocks. */
  readonly unreachableSince: number | null;
  /** Monotonic ms until which selection skips it (a start request to it just timed out): a small circuit breaker. */
  readonly cooldownUntil: number;
  /** Random id of the worker process; a new one for a known id means it restarted. */
  readonly bootId: string | null;
  /** Monotonic selection stamp for least-recently-used round robin. */
  readonly lastSelectedSeq: number;
  /** When the backend last handed the worker an operation (a health probe older than this can't clear busy). */
  readonly lastAssignedAt: number;
}

type MutableWorker = { -readonly [K in keyof WorkerRecord]: WorkerRecord[K] };

/** What a health probe found, as the registry needs it. */
export interface HealthReply {
  readonly worker_status: 'idle' | 'busy' | 'draining';
  readonly current_operation: string | null;
}

/** Limits of {@link WorkerRegistry.recordProbeFailure}. */
export interface ProbeFailureLimits {
  /** Consecutive failures before the worker is temporarily_unavailable. */
  readonly failureThreshold: number;
  /** Unavailable (monotonic ms) for at least this long → removed. */
  readonly removalThresholdMs: number;
}

export interface SelectionCriteria {
  /** Worker ids not to pick (e.g. ones that just answered 503). */
  exclude?: ReadonlySet<string>;
  /** Capability constraints: numbers mean "at least", anything else must be equal. */
  constraints?: Record<string, unknown>;
  /** Only workers whose capabilities.gpu is true. @defaultValue false */
  requireGpu?: boolean;
  /** Try GPU workers before CPU workers. @defaultValue false */
  preferGpu?: boolean;
}

export interface RegisterOutcome {
  worker: WorkerRecord;
  /** True when the id was not registered before. */
  isNew: boolean;
  /** Id of a different worker that had the same endpoint_url and was replaced. */
  replacedWorkerId: string | null;
  /** A known worker_id came back with a different boot id: the process restarted. */
  restarted: boolean;
}

export function hasGpu(capabilities: WorkerCapabilities): boolean {
  return capabilities['gpu'] === true;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function satisfies(capabilities: WorkerCapabilities, constraints: Record<string, unknown>): boolean {
  for (const [key, wanted] of Object.entries(constraints)) {
    const have = capabilities[key];
    if (typeof wanted === 'number') {
      if (typeof have !== 'number' || have < wanted) return false;
    } else if (have !== wanted) return false;
  }
  return true;
}

/**
 * Who is registered and in what state. Pure in-memory bookkeeping: no timers, no HTTP.
 * Workers re-register after a backend restart, so nothing here needs to be durable.
 *
 * The one owner of worker status. Transitions and who triggers them:
 * - register (a probe succeeded): → available, or busy with the operation it reports;
 * - markBusy (dispatch, a claim, a 503 naming the op it runs): → busy;
 * - markAvailable (the op ended, a start refused): busy → available, never out of temporarily_unavailable;
 * - recordHealthReport (HealthMonitor): idle → available (unless a dispatch came after the probe
 *   was sent), busy → busy, draining → temporarily_unavailable; resets the failure counters;
 * - recordProbeFailure (HealthMonitor): → temporarily_unavailable at the failure threshold, removed
 *   after the removal threshold (monotonic clock);
 * - remove (removal, or replaced by a registration at the same endpoint).
 */
/** How long after an assignment an idle health answer is not believed. */
const IDLE_SETTLE_MS = 2_000;

export class WorkerRegistry {
  readonly #workers = new Map<string, MutableWorker>();
  #selectionSeq = 0;
  readonly #now: () => number;
  readonly #mono: () => number;

  constructor(deps: { now?: () => number; monotonicNow?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
    this.#mono = deps.monotonicNow ?? (() => performance.now());
  }

  /** The worker registered at this endpoint, if any. */
  findByEndpoint(endpointUrl: string): WorkerRecord | undefined {
    const url = endpointUrl.replace(/\/+$/, '');
    for (const w of this.#workers.values()) if (w.endpointUrl === url) return w;
    return undefined;
  }

  /**
   * Idempotent: the same id updates url/capabilities and becomes available (or busy with its current
   * op). Callers check conflicts and probe the endpoint first (see routes/workers.ts): only a
   * successful probe makes a worker available.
   */
  register(req: RegisterWorkerRequest): RegisterOutcome {
    const now = this.#now();
    const endpointUrl = req.endpoint_url.replace(/\/+$/, '');
    let replacedWorkerId: string | null = null;
    for (const other of this.#workers.values()) {
      if (other.workerId !== req.worker_id && other.endpointUrl === endpointUrl) {
        replacedWorkerId = other.workerId;
        this.#workers.delete(other.workerId);
        break;
      }
    }
    const existing = this.#workers.get(req.worker_id);
    const currentOperationId = req.current_operation_id ?? null;
    const worker: MutableWorker = {
      workerId: req.worker_id,
      workerType: req.worker_type,
      endpointUrl,
      status: currentOperationId ? 'busy' : 'available',
      currentOperationId,
      capabilities: req.capabilities ?? {},
      metadata: req.metadata ?? existing?.metadata ?? {},
      registeredAt: existing?.registeredAt ?? now,
      lastHealthCheck: existing?.lastHealthCheck ?? null,
      lastHealthyAt: now,
      healthCheckFailures: 0,
      unavailableSince: null,
      unreachableSince: null,
      cooldownUntil: 0,
      bootId: req.boot_id ?? null,
      lastSelectedSeq: existing?.lastSelectedSeq ?? 0,
      lastAssignedAt: existing?.lastAssignedAt ?? 0,
    };
    this.#workers.set(worker.workerId, worker);
    const restarted = existing !== undefined && existing.bootId !== null && req.boot_id !== undefined && existing.bootId !== req.boot_id;
    return { worker, isNew: existing === undefined, replacedWorkerId, restarted };
  }

  /** Keeps selection away from a worker for `ms` (its start request just timed out). */
  coolDown(workerId: string, ms: number): void {
    const w = this.#workers.get(workerId);
    if (w) w.cooldownUntil = this.#mono() + ms;
  }

  get(workerId: string): WorkerRecord | undefined {
    return this.#workers.get(workerId);
  }

  list(filter: { workerType?: string; status?: WorkerStatus } = {}): WorkerRecord[] {
    return [...this.#workers.values()].filter(
      (w) =>
        (filter.workerType === undefined || w.workerType === filter.workerType) &&
        (filter.status === undefined || w.status === filter.status),
    );
  }

  get size(): number {
    return this.#workers.size;
  }

  remove(workerId: string): WorkerRecord | undefined {
    const w = this.#workers.get(workerId);
    this.#workers.delete(workerId);
    return w;
  }

  /**
   * Picks the least-recently-used available worker of a type that meets the criteria and stamps it
   * as just selected. GPU-preferring requests look at GPU workers first, then fall back to CPU ones.
   */
  select(workerType: string, criteria: SelectionCriteria = {}): WorkerRecord | undefined {
    const candidates = this.#candidates(workerType, criteria);
    const lru = (pool: WorkerRecord[]) =>
      pool.reduce<WorkerRecord | undefined>(
        (best, w) =>
          best === undefined ||
          w.lastSelectedSeq < best.lastSelectedSeq ||
          (w.lastSelectedSeq === best.lastSelectedSeq && w.registeredAt < best.registeredAt)
            ? w
            : best,
        undefined,
      );
    let picked: WorkerRecord | undefined;
    if (criteria.preferGpu) picked = lru(candidates.filter((w) => hasGpu(w.capabilities)));
    picked ??= lru(candidates);
    if (picked) (picked as MutableWorker).lastSelectedSeq = ++this.#selectionSeq;
    return picked;
  }

  /** True when select() would find a worker now (without stamping one as selected). */
  canSelect(workerType: string, criteria: SelectionCriteria = {}): boolean {
    return this.#candidates(workerType, criteria).length > 0;
  }

  #candidates(workerType: string, criteria: SelectionCriteria): WorkerRecord[] {
    return this.list({ workerType, status: 'available' }).filter((w) => this.isEligible(w, criteria));
  }

  /** Whether an available worker meets the criteria (type aside) and is not cooling down. */
  isEligible(w: WorkerRecord, criteria: SelectionCriteria = {}): boolean {
    return w.status === 'available' && w.cooldownUntil <= this.#mono() && this.fits(w, criteria);
  }

  /** Whether a worker meets the criteria (type aside), whatever it is doing now. */
  fits(w: WorkerRecord, criteria: SelectionCriteria = {}): boolean {
    return (
      !criteria.exclude?.has(w.workerId) &&
      (!criteria.requireGpu || hasGpu(w.capabilities)) &&
      (criteria.constraints === undefined || satisfies(w.capabilities, criteria.constraints))
    );
  }

  /**
   * Applies a healthy `/health` reply. `probeStartedAt` is the wall-clock ms the probe was sent:
   * an idle answer to a probe older than the latest dispatch says nothing about that dispatch.
   * Returns whether the worker came back from temporarily_unavailable (undefined: not registered).
   */
  recordHealthReport(workerId: string, report: HealthReply, probeStartedAt: number): { recovered: boolean } | undefined {
    const worker = this.#workers.get(workerId);
    if (!worker) return undefined;
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
    } else if (worker.lastAssignedAt <= probeStartedAt && now - worker.lastAssignedAt >= IDLE_SETTLE_MS) {
      // An idle answer right after an assignment may predate the worker receiving it (a job handed
      // over in a report reply still in flight): it frees the worker only once the assignment settled.
      worker.status = 'available';
      worker.currentOperationId = null;
    }
    return { recovered: wasUnavailable && report.worker_status !== 'draining' };
  }

  /**
   * Applies a failed probe: counts it, makes the worker temporarily_unavailable (and unreachable)
   * at the threshold, and removes it once it has been unavailable for the removal threshold.
   */
  recordProbeFailure(workerId: string, limits: ProbeFailureLimits): { failures: number; becameUnreachable: boolean; removed: boolean; unavailableForMs: number } | undefined {
    const worker = this.#workers.get(workerId);
    if (!worker) return undefined;
    worker.lastHealthCheck = this.#now();
    const mono = this.#mono();
    worker.healthCheckFailures++;
    let becameUnreachable = false;
    if (worker.unreachableSince === null && worker.healthCheckFailures >= limits.failureThreshold) {
      if (worker.status !== 'temporarily_unavailable') worker.unavailableSince = mono;
      worker.status = 'temporarily_unavailable';
      worker.unreachableSince = mono;
      becameUnreachable = true;
    }
    const unavailableForMs = worker.unavailableSince === null ? 0 : mono - worker.unavailableSince;
    const removed = worker.status === 'temporarily_unavailable' && worker.unavailableSince !== null && unavailableForMs >= limits.removalThresholdMs;
    if (removed) this.#workers.delete(workerId);
    return { failures: worker.healthCheckFailures, becameUnreachable, removed, unavailableForMs };
  }

  /** Marks a worker busy with an operation (dispatch, or a health report / registration saying so). */
  markBusy(workerId: string, operationId: string | null): void {
    const w = this.#workers.get(workerId);
    if (!w) return;
    w.status = 'busy';
    w.currentOperationId = operationId;
    w.lastAssignedAt = this.#now();
  }

  /** Marks a worker available, optionally only if it is still busy with `operationId`. */
  markAvailable(workerId: string, ifOperationId?: string): void {
    const w = this.#workers.get(workerId);
    if (!w) return;
    if (ifOperationId !== undefined && w.currentOperationId !== null && w.currentOperationId !== ifOperationId) return;
    if (w.status === 'temporarily_unavailable') return;
    w.status = 'available';
    w.currentOperationId = null;
  }

  summary(): WorkersHealthSummary {
    const zero = (): StatusCounts => ({ available: 0, busy: 0, temporarily_unavailable: 0 });
    const total = zero();
    const byType: Record<string, StatusCounts> = {};
    for (const w of this.#workers.values()) {
      total[w.status]++;
      (byType[w.workerType] ??= zero())[w.status]++;
    }
    return { total_workers: this.#workers.size, ...total, by_type: byType };
  }

  static toWire(w: WorkerRecord): WorkerInfo {
    return {
      worker_id: w.workerId,
      worker_type: w.workerType,
      endpoint_url: w.endpointUrl,
      status: w.status,
      current_operation_id: w.currentOperationId,
      capabilities: w.capabilities,
      last_health_check: iso(w.lastHealthCheck),
      last_healthy_at: iso(w.lastHealthyAt),
      health_check_failures: w.healthCheckFailures,
      metadata: { ...w.metadata, registered_at: iso(w.registeredAt), ...(w.bootId ? { boot_id: w.bootId } : {}) },
    };
  }
}
