import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Operation } from '../../contracts/index.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { OperationListener } from '../operations/operations-service.js';
import type { WorkerRegistry } from '../registry/worker-registry.js';

/**
 * Prometheus metrics of the backend. Worker and operation counts are read from the registry and
 * the store at scrape time (so they always match them); durations and dispatch retries are
 * recorded as they happen through `listener` and `onRetry`.
 */
export class BackendMetrics {
  readonly registry = new Registry();
  readonly #duration: Histogram<'operation_type' | 'status'>;
  readonly #retries: Counter<'worker_type' | 'reason'>;

  constructor(deps: { workers: WorkerRegistry; store: OperationStore; operationsActive: () => number }) {
    const { workers, store } = deps;
    const register = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'ktrdr_backend_' });
    new Gauge({
      name: 'ktrdr_workers_total',
      help: 'Registered workers',
      registers: register,
      collect() {
        this.set(workers.size);
      },
    });
    const byStatus = (name: string, help: string, status: string) =>
      new Gauge({
        name,
        help,
        labelNames: ['worker_type'],
        registers: register,
        collect() {
          this.reset();
          const counts = workers.summary().by_type;
          for (const [type, c] of Object.entries(counts)) this.set({ worker_type: type }, c[status as keyof typeof c]);
        },
      });
    byStatus('ktrdr_workers_available', 'Workers in available state, by type', 'available');
    byStatus('ktrdr_workers_busy', 'Workers in busy state, by type', 'busy');
    byStatus('ktrdr_workers_unavailable', 'Workers in temporarily_unavailable state, by type', 'temporarily_unavailable');
    new Gauge({
      name: 'ktrdr_operations_total',
      help: 'Operations in the store, by type and status',
      labelNames: ['operation_type', 'status'],
      registers: register,
      async collect() {
        const rows = await store.countByTypeAndStatus();
        this.reset();
        for (const row of rows) this.set({ operation_type: row.operation_type, status: row.status }, row.count);
      },
    });
    new Gauge({
      name: 'ktrdr_operations_active',
      help: 'Pending or running operations',
      registers: register,
      collect() {
        this.set(deps.operationsActive());
      },
    });
    this.#duration = new Histogram({
      name: 'ktrdr_operation_duration_seconds',
      help: 'Time from start to end of finished operations',
      labelNames: ['operation_type', 'status'],
      buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400],
      registers: register,
    });
    this.#retries = new Counter({
      name: 'ktrdr_dispatch_retries_total',
      help: 'Dispatch attempts that moved on to another worker (busy or unreachable)',
      labelNames: ['worker_type', 'reason'],
      registers: register,
    });
  }

  /** Records durations of operations as they finish. */
  readonly listener: OperationListener = {
    onTerminal: (op: Operation) => {
      const start = Date.parse(op.started_at ?? op.created_at);
      const end = Date.parse(op.completed_at ?? new Date().toISOString());
      if (Number.isFinite(start) && Number.isFinite(end)) {
        this.#duration.observe({ operation_type: op.operation_type, status: op.status }, Math.max(0, (end - start) / 1000));
      }
    },
  };

  onRetry = (workerType: string, reason: 'busy' | 'unreachable'): void => {
    this.#retries.inc({ worker_type: workerType, reason });
  };
}
