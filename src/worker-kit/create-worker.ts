import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { Type, type TSchema } from 'typebox';
import {
  ErrorBody,
  MetricsResponse,
  newWorkerOperationId,
  OperationEnvelope,
  StartResponse,
  WorkerBusyBody,
  WorkerHealthReport,
  type OperationMetadata,
  type WorkerActivity,
} from '../contracts/index.js';
import { OperationNotFoundError, ResultsNotAvailableError, toError } from '../core/errors.js';
import { requireBearerToken } from '../http/auth.js';
import { errorHandler } from '../http/error-handler.js';
import { cancelReason } from '../http/routes/operations.js';
import { JobCancelledError, type JobDefinition } from './job.js';
import { Registrar } from './registrar.js';
import { runInThread } from './run-in-thread.js';
import { WorkerOperations } from './worker-operations.js';

export interface WorkerDeps {
  log: Logger;
}

export interface WorkerOptions {
  workerId: string;
  workerType: string;
  /** `service` field of /health, e.g. `backtest-worker`. */
  service: string;
  jobs: readonly JobDefinition<TSchema>[];
  capabilities?: Record<string, unknown>;
  /** Settings passed to every job thread (data dir, models dir, …). */
  settings?: Record<string, unknown>;
  apiUrl: string;
  apiToken?: string | undefined;
  /** On SIGTERM, how long a running job may take to finish before it is cancelled. @defaultValue 25000 */
  drainMs?: number;
  /** After the last job ended during a drain, how long to wait for the backend to read its final state. @defaultValue 5000 */
  finalReportMs?: number;
  /** @defaultValue 5000 */
  registrationCheckIntervalMs?: number;
  /** @defaultValue 30000 */
  healthSilenceMs?: number;
  /** Grace for a cancelled job to stop before its thread is terminated. @defaultValue 2000 */
  cancelGraceMs?: number;
}

/** A running worker process's pieces. The composition root listens on `app` and then calls startRegistration. */
export interface Worker {
  readonly app: FastifyInstance;
  readonly workerId: string;
  readonly operations: WorkerOperations;
  /** Registers with the backend (with retries) and keeps the registration alive. */
  startRegistration(endpointUrl: string): void;
  /** Stops taking work, lets the running job finish (or cancels it after drainMs), then closes. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const BACKEND_HEADER = 'x-ktrdr-backend';

/**
 * WorkerBase as a factory: every worker type gets /health, the operations routes, exclusivity
 * (one operation at a time; 503 while busy), self-registration, drain on shutdown, and jobs in
 * worker threads. A worker type only supplies its JobDefinitions.
 */
export function createWorker(deps: WorkerDeps, options: WorkerOptions): Worker {
  const opts = {
    drainMs: 25_000,
    finalReportMs: 5_000,
    registrationCheckIntervalMs: 5_000,
    healthSilenceMs: 30_000,
    cancelGraceMs: 2_000,
    capabilities: {},
    settings: {},
    ...options,
  };
  // The registrar gets `workerLog` and binds its own component: pino would print a second `component`.
  const workerLog = deps.log.child({ workerId: opts.workerId });
  const log = workerLog.child({ component: 'worker' });
  const operations = new WorkerOperations(opts.workerId);
  let current: string | null = null;
  let currentRun: Promise<void> | undefined;
  let draining = false;
  let lastHealthCheckAt = 0;
  let endpointUrl = '';
  let registrar: Registrar | undefined;
  let closing: Promise<void> | undefined;

  const activity = (): WorkerActivity => (draining ? 'draining' : current ? 'busy' : 'idle');

  const app = Fastify({ loggerInstance: log, logController: new LogController({ disableRequestLogging: true }) }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(errorHandler);
  if (opts.apiToken) {
    requireBearerToken(app as unknown as FastifyInstance, opts.apiToken, (url) => !url.startsWith('/health') && url !== '/' && url !== '/metrics');
  }

  app.get('/health', { schema: { response: { 200: WorkerHealthReport } } }, async (req) => {
    if (req.headers[BACKEND_HEADER] !== undefined) lastHealthCheckAt = Date.now();
    return {
      healthy: true,
      service: opts.service,
      timestamp: new Date().toISOString(),
      status: 'operational' as const,
      worker_status: activity(),
      current_operation: current,
    };
  });

  const metricsRegistry = new Registry();
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'ktrdr_worker_' });
  new Gauge({
    name: 'ktrdr_worker_busy',
    help: '1 while the worker runs an operation',
    registers: [metricsRegistry],
    collect() {
      this.set(current ? 1 : 0);
    },
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metricsRegistry.contentType);
    return metricsRegistry.metrics();
  });

  app.get('/', async () => ({
    service: opts.service,
    worker_id: opts.workerId,
    worker_type: opts.workerType,
    worker_status: activity(),
    current_operation: current,
    capabilities: opts.capabilities,
    endpoints: ['/health', '/api/v1/operations', ...opts.jobs.map((j) => `/${j.domain}/start`)],
  }));

  const IdParams = Type.Object({ operationId: Type.String() });
  app.get('/api/v1/operations', async () => ({ success: true, data: operations.list() }));
  app.get('/api/v1/operations/:operationId', { schema: { params: IdParams, response: { 200: OperationEnvelope, 404: ErrorBody } } }, async (req) => {
    const op = operations.read(req.params.operationId);
    if (!op) throw new OperationNotFoundError(req.params.operationId);
    return { success: true, data: op };
  });
  app.get(
    '/api/v1/operations/:operationId/metrics',
    {
      schema: {
        params: IdParams,
        querystring: Type.Object({ cursor: Type.Optional(Type.Integer({ minimum: 0, default: 0 })) }),
        response: { 200: MetricsResponse, 404: ErrorBody },
      },
    },
    async (req) => {
      const m = operations.metrics(req.params.operationId, req.query.cursor ?? 0);
      if (!m) throw new OperationNotFoundError(req.params.operationId);
      return { success: true, data: { operation_id: req.params.operationId, ...m } };
    },
  );
  app.get('/api/v1/operations/:operationId/results', { schema: { params: IdParams } }, async (req) => {
    const id = req.params.operationId;
    if (!operations.has(id)) throw new OperationNotFoundError(id);
    const { found, artifact } = operations.artifact(id);
    if (!found) throw new ResultsNotAvailableError(id, 'the operation has no result artifact (yet)');
    return { success: true, data: artifact };
  });
  app.delete(
    '/api/v1/operations/:operationId/cancel',
    { schema: { params: IdParams, response: { 200: OperationEnvelope, 404: ErrorBody } } },
    async (req) => {
      const id = req.params.operationId;
      if (!operations.has(id)) throw new OperationNotFoundError(id);
      const reason = cancelReason(req.body) ?? 'Cancelled by user';
      if (operations.requestCancel(id, reason)) log.info({ operationId: id, reason }, 'cancellation requested');
      return { success: true, data: operations.read(id)! };
    },
  );

  for (const job of opts.jobs) {
    const body = Type.Object({ ...(job.params as unknown as { properties: Record<string, TSchema> }).properties, task_id: Type.Optional(Type.String({ minLength: 1 })) });
    app.post(
      `/${job.domain}/start`,
      { schema: { body, response: { 200: StartResponse, 400: ErrorBody, 503: WorkerBusyBody } } },
      async (req, reply) => {
        if (draining || current !== null) {
          return reply.code(503).send({ error: draining ? 'Worker draining' : 'Worker busy', current_operation: current });
        }
        const { task_id, ...params } = req.body as Record<string, unknown> & { task_id?: string };
        // Claim the worker before any await so two concurrent starts can't both pass the check.
        const operationId = task_id ?? newWorkerOperationId(job.domain);
        current = operationId;
        try {
          await job.validate?.(params as never, opts.settings);
        } catch (err) {
          current = null;
          throw err;
        }
        const metadata: OperationMetadata = job.describe?.(params as never) ?? { parameters: params };
        const { signal } = operations.create(operationId, job.operationType, metadata);
        const opLog = log.child({ operationId });
        opLog.info({ operationType: job.operationType }, 'operation started');
        currentRun = runInThread(job.module, params, {
          operationId,
          settings: opts.settings,
          signal,
          cancelGraceMs: opts.cancelGraceMs,
          onProgress: (u) => operations.progress(operationId, u),
          onMetric: (m) => operations.metric(operationId, m),
          onLog: (message, fields) => opLog.info(fields ?? {}, message),
        })
          .then((output) => {
            operations.complete(operationId, output);
            opLog.info('operation completed');
          })
          .catch((err: unknown) => {
            if (err instanceof JobCancelledError) {
              operations.markCancelled(operationId, operations.cancelReason(operationId) ?? err.message);
              opLog.info('operation cancelled');
            } else {
              const e = toError(err);
              operations.fail(operationId, e.message);
              opLog.warn({ err: e.message }, 'operation failed');
            }
          })
          .finally(() => {
            current = null;
            currentRun = undefined;
          });
        return { success: true, operation_id: operationId, status: 'started' as const, worker_id: opts.workerId };
      },
    );
  }

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      registrar?.close();
      if (current) operations.requestCancel(current, 'Worker shutting down');
      await currentRun;
      await app.close();
    })());

  return {
    app: app as unknown as FastifyInstance,
    workerId: opts.workerId,
    operations,
    startRegistration(url: string) {
      endpointUrl = url;
      registrar ??= new Registrar(
        {
          log: workerLog,
          lastHealthCheckAt: () => lastHealthCheckAt,
          registration: () => ({
            worker_id: opts.workerId,
            worker_type: opts.workerType,
            endpoint_url: endpointUrl,
            capabilities: opts.capabilities,
            current_operation_id: current,
          }),
        },
        {
          apiUrl: opts.apiUrl,
          apiToken: opts.apiToken,
          checkIntervalMs: opts.registrationCheckIntervalMs,
          healthSilenceMs: opts.healthSilenceMs,
        },
      );
      registrar.start();
    },
    async drain() {
      if (draining) return close();
      draining = true;
      const running = current;
      log.info({ currentOperation: running, drainMs: opts.drainMs }, 'draining: no new work accepted');
      if (running && currentRun) {
        const finished = await Promise.race([
          currentRun.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), opts.drainMs).unref()),
        ]);
        if (!finished) {
          log.warn({ operationId: running }, 'drain period over; cancelling the running operation');
          operations.requestCancel(running, 'Cancelled: worker shut down before the operation finished');
          await currentRun;
        }
        // Give the backend a chance to read the final state before the process goes away.
        const deadline = Date.now() + opts.finalReportMs;
        while (!operations.finalStateRead(running) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await close();
    },
    close,
  };
}

/** Header the backend sets on its health probes, so a worker can tell them from container health checks. */
export const BACKEND_PROBE_HEADER = BACKEND_HEADER;
