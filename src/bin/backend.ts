import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { insecureWarning, loadBackendConfig, type BackendConfig } from '../config/env.js';
import { redactUrl } from '../core/operations/open-operation-store.js';
import { Dispatcher, type DispatchTarget } from '../core/dispatch/dispatcher.js';
import { Scheduler } from '../core/queue/scheduler.js';
import { Submitter } from '../core/queue/submitter.js';
import { SweepService } from '../core/sweeps/sweep-service.js';
import { planSweep } from '../workers/sweep/plan-sweep.js';
import { MemoryWorkQueue, type QueueEntry } from '../core/queue/work-queue.js';
import { OperationsService } from '../core/operations/operations-service.js';
import { openOperationStore } from '../core/operations/open-operation-store.js';
import { ResultFiles } from '../core/results/result-files.js';
import { withResultFiles } from '../core/results/with-result-files.js';
import { HealthMonitor } from '../core/registry/health-monitor.js';
import { WorkerAdmission } from '../core/registry/worker-admission.js';
import { WorkerRegistry } from '../core/registry/worker-registry.js';
import { HttpWorkerClient } from '../net/http-worker-client.js';
import { buildApp } from '../http/app.js';
import { metricsRoutes } from '../http/routes/metrics.js';
import { BackendMetrics } from '../core/monitoring/backend-metrics.js';
import { dashboardPlugin } from '../http/dashboard/dashboard-plugin.js';
import type { StartRouteSpec } from '../core/queue/submitter.js';
import { backtestStartRoute } from '../workers/backtest/backtest-start-route.js';
import { trainingStartRoute } from '../workers/training/training-start-route.js';
import { modelStoreRoutes } from '../workers/artifacts/model-store-routes.js';
import { dataRoutes } from '../workers/artifacts/data-routes.js';
import { FileSha256Cache } from '../domain/data/file-sha256.js';
import { FsModelStore, type ModelStore } from '../workers/artifacts/model-store.js';
import { S3ModelStore } from '../workers/artifacts/s3-model-store.js';
import { createRootLogger, onShutdownSignal } from './logger.js';
import { VERSION } from './version.js';

export interface RunningBackend {
  app: FastifyInstance;
  url: string;
  registry: WorkerRegistry;
  operations: OperationsService;
  healthMonitor: HealthMonitor;
  scheduler: Scheduler;
  close(): Promise<void>;
}

/** Wires the backend from config and starts listening. */
export async function startBackend(
  config: BackendConfig,
  deps: { log: Logger; startRoutes?: readonly StartRouteSpec[] },
): Promise<RunningBackend> {
  const log = deps.log;
  const resultFiles = new ResultFiles({ dir: config.resultsDir });
  // Results fetched by polling (base64 inline) are kept as files too, like pushed ones.
  const store = withResultFiles(await openOperationStore(config.databaseUrl ?? config.dbPath), resultFiles);
  const registry = new WorkerRegistry();
  const client = new HttpWorkerClient({ apiToken: config.apiToken, requestTimeoutMs: config.workerRequestTimeoutMs });
  // Reads the operations service lazily: it is created right below, with the metrics' listener.
  let activeCount = () => 0;
  const metrics = new BackendMetrics({ workers: registry, store, operationsActive: () => activeCount() });
  // The scheduler is built after the operations service it listens to: late-bound here.
  let scheduler: Scheduler | undefined;
  let sweeps: SweepService | undefined;
  const queue = new MemoryWorkQueue();
  const entryOf = (operationId: string): QueueEntry | undefined => {
    const row = operations.queuedRow(operationId);
    return row?.dispatch ? { operationId, seq: row.seq, priority: row.priority, target: row.dispatch as DispatchTarget } : undefined;
  };
  const operations = new OperationsService(
    {
      store,
      registry,
      client,
      log,
      listener: {
        onTerminal: (op) => {
          metrics.listener.onTerminal?.(op);
          queue.remove(op.operation_id);
          scheduler?.kick(); // a worker may be free now
          sweeps?.onTerminal(op);
        },
        onQueued: (op) => scheduler?.onQueued(op, entryOf(op.operation_id)),
        onRejected: (op, message) => sweeps?.onRejected(op, message),
        onClaimedElsewhere: (operationId) => {
          queue.remove(operationId);
          scheduler?.kick(); // the worker reserved for it is free again
        },
      },
    },
    { cacheTtlMs: config.operationsCacheTtlMs, orphanTimeoutMs: config.orphanTimeoutMs },
  );
  try {
    await operations.load();
  } catch (err) {
    await store.close();
    throw err;
  }
  for (const row of operations.queuedRows()) {
    const entry = entryOf(row.operationId);
    if (entry) queue.add(entry);
    else operations.markFailed(row.operationId, 'queued without a dispatch target (from an older ktrdr): submit it again');
  }
  activeCount = () => operations.activeCount();
  const healthMonitor = new HealthMonitor(
    {
      registry,
      client,
      log,
      onReport: async (worker, report) => {
        await operations.onHealthReport(worker, report);
        if (worker.status === 'available') scheduler?.kick();
      },
      onUnreachable: (worker) => operations.onWorkerUnreachable(worker),
      onRemoved: (worker) => operations.onWorkerRemoved(worker),
    },
    {
      intervalMs: config.healthCheckIntervalMs,
      timeoutMs: config.healthCheckTimeoutMs,
      failureThreshold: config.healthCheckFailureThreshold,
      removalThresholdMs: config.workerRemovalThresholdMs,
    },
  );
  const dispatcher = new Dispatcher(
    { registry, client, operations, log, onRetry: metrics.onRetry },
    { maxAttempts: config.maxDispatchAttempts, startTimeoutMs: config.workerStartTimeoutMs },
  );
  const dataHashes = new FileSha256Cache();
  // Bundles live in the models dir, or in an S3-compatible bucket (KTRDR_MODEL_STORE).
  const s3 = config.modelStore ? new S3ModelStore({ url: config.modelStore, endpoint: config.s3Endpoint, region: config.s3Region }) : undefined;
  const modelStore: ModelStore = s3 ?? new FsModelStore(config.modelsDir);
  const routes = deps.startRoutes ?? [
    backtestStartRoute({ dataDir: config.dataDir, strategiesDir: config.strategiesDir, modelsDir: config.modelsDir, dataHashes, ...(s3 ? { modelStore: s3 } : {}) }),
    trainingStartRoute({ dataDir: config.dataDir, strategiesDir: config.strategiesDir, dataHashes }),
  ];
  scheduler = new Scheduler({ queue, dispatcher, operations, registry, client, log });
  const submitter = new Submitter({ operations, scheduler, queue }, { maxQueued: config.maxQueued });
  const childSpec = routes.find((r) => r.operationType === 'backtesting');
  const trainingSpec = routes.find((r) => r.operationType === 'training');
  if (childSpec) {
    sweeps = new SweepService({
      operations,
      submitter,
      store,
      childSpec,
      ...(trainingSpec ? { trainingSpec } : {}),
      plan: (request) => planSweep(request, { strategiesDir: config.strategiesDir }),
      log,
    });
    await sweeps.resume();
  }
  const admission = new WorkerAdmission(
    { registry, client, operations, log },
    { workerTypes: [...new Set(routes.map((r) => r.workerType))] },
  );
  const app = await buildApp({
    log,
    registry,
    operations,
    admission,
    scheduler,
    queue,
    maxQueued: config.maxQueued,
    startRoutes: routes,
    submitter,
    resultFiles,
    ...(sweeps ? { sweeps } : {}),
    apiToken: config.apiToken,
    version: VERSION,
    plugins: [
      dashboardPlugin,
      async (app) => app.register(metricsRoutes, { metrics, registry }),
      // Models and data by reference: workers fetch what their own dirs lack (no shared mount).
      async (app) => app.register(modelStoreRoutes, { prefix: '/api/v1', store: modelStore }),
      async (app) => app.register(dataRoutes, { prefix: '/api/v1', dataDir: config.dataDir }),
    ],
    close: async () => {
      await scheduler?.close();
      await healthMonitor.close();
      client.close();
      await operations.close();
      await store.close();
      s3?.close();
    },
  });
  const address = await app.listen({ port: config.port, host: config.host });
  healthMonitor.start();
  operations.start();
  if (queue.size > 0) log.info({ queued: queue.size }, 'queued operations waiting for workers');
  scheduler.kick();
  const port = (app.server.address() as { port: number }).port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ address, store: config.databaseUrl ? redactUrl(config.databaseUrl) : config.dbPath, auth: config.apiToken !== undefined }, 'backend listening');
  const warning = insecureWarning({ host: config.host, port, apiToken: config.apiToken });
  if (warning) log.warn(warning);
  return { app, url, registry, operations, healthMonitor, scheduler, close: () => app.close() };
}

/** `ktrdr backend`: config from env (+ flags), signals handled here. */
export async function runBackendMain(
  overrides: { port?: number | undefined; host?: string | undefined; insecure?: boolean | undefined } = {},
): Promise<void> {
  const config = loadBackendConfig(process.env, { port: overrides.port, host: overrides.host, insecure: overrides.insecure });
  const log = createRootLogger(config.logLevel, { service: 'ktrdr-backend' });
  const backend = await startBackend(config, { log });
  onShutdownSignal(log, () => backend.close(), 10_000);
}
