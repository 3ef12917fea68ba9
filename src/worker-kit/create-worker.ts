import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { Type, type TSchema } from 'typebox';
import {
  BOOT_ID_HEADER,
  ErrorBody,
  MetricsResponse,
  newWorkerOperationId,
  OperationEnvelope,
  PrefetchRevokeReply,
  PrefetchRevokeRequest,
  StartResponse,
  WorkerBusyBody,
  WorkerHealthReport,
  WORKER_ID_HEADER,
  type OperationMetadata,
  type WorkerActivity,
} from '../contracts/index.js';
import { OperationNotFoundError, ResultsNotAvailableError, toError } from '../contracts/errors.js';
import { registerServerKit, serverOptions } from '../server-kit/server-kit.js';
import { cancelReason } from '../server-kit/cancel-reason.js';
import { buildValidatorCompiler } from '../server-kit/validator-compiler.js';
import { BackendReporter, type NextJob } from './backend-reporter.js';
import { JobCancelledError, type JobDefinition } from './job.js';
import { Registrar } from './registrar.js';
import { runJobInThread, warmJobThread, type HandedOverRun, type RunCallbacks, type RunResult, type ThreadRun } from './run-in-thread.js';
import type { HandOverTarget, RunFinish } from './thread-messages.js';
import { WorkerOperations } from './worker-operations.js';
import { PREFETCH_SLOT_BYTES, PrefetchSlot } from './prefetch-slot.js';
import { artifactToWire } from './artifact-wire.js';

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

/** An Ajv body validator: fills defaults into the value it checks; `errors` after a failure. */
type ValidateBody = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

/** A running worker process's pieces. The composition root listens on `app` and then calls startRegistration. */
export interface Worker {
  readonly app: FastifyInstance;
  readonly workerId: string;
  readonly operations: WorkerOperations;
  /**
   * Registers with the backend (with retries) and keeps the registration alive. Given a function,
   * the endpoint is detected anew at every (re-)registration (network up late, IP changed).
   */
  startRegistration(endpointUrl: string | (() => Promise<string>)): void;
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
  const bootId = randomBytes(8).toString('hex');
  const reporter = new BackendReporter({ log }, { apiUrl: opts.apiUrl, apiToken: opts.apiToken });
  // Its job thread loads while the HTTP side starts; the worker registers once it is ready (or after
  // 10 s regardless), so the first job it is given starts at once.
  const threadReady = Promise.race([warmJobThread(), new Promise<void>((r) => setTimeout(r, 10_000).unref())]);
  let current: string | null = null;
  /** The job the job thread started ahead (prefetched) before this thread follows it, and when it does. */
  let startedAhead: { operationId: string; followed: Promise<void>; resolve: () => void } | undefined;
  let currentAttempt: string | null = null;
  let currentRun: Promise<void> | undefined;
  let draining = false;
  let lastHealthCheckAt = 0;
  let endpointUrl: string | (() => Promise<string>) = '';
  let registrar: Registrar | undefined;
  let closing: Promise<void> | undefined;

  /**
   * The job code of `current` finished: its job thread is reporting its end to the backend itself,
   * so the backend may know before this thread does. /health and registration say idle from here,
   * and a start request waits for that report instead of getting a 503.
   */
  let currentCodeFinished: () => boolean = () => false;
  /** The op this worker runs, as /health and registration tell it. */
  const running = (): string | null => (current !== null && !currentCodeFinished() ? current : null);
  const activity = (): WorkerActivity => (draining ? 'draining' : running() ? 'busy' : 'idle');

  const app = Fastify({ loggerInstance: log, ...serverOptions() }).withTypeProvider<TypeBoxTypeProvider>();
  // Only /health is public; with a token set, everything else (/, /metrics included) needs it.
  registerServerKit(app as unknown as FastifyInstance, { apiToken: opts.apiToken });

  app.get('/health', { config: { public: true }, schema: { response: { 200: WorkerHealthReport } } }, async (req, reply) => {
    if (req.headers[BACKEND_HEADER] !== undefined) lastHealthCheckAt = Date.now();
    // Who answers: the backend checks these when a worker registers this endpoint.
    reply.header(WORKER_ID_HEADER, opts.workerId).header(BOOT_ID_HEADER, bootId);
    return {
      healthy: true,
      service: opts.service,
      timestamp: new Date().toISOString(),
      status: 'operational' as const,
      worker_status: activity(),
      current_operation: running(),
      current_attempt_id: running() ? currentAttempt : null,
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
    const { found, artifact, dropped } = operations.artifact(id);
    if (!found) {
      throw new ResultsNotAvailableError(id, dropped ? 'it was delivered to the backend and dropped here; read it there' : 'the operation has no result artifact (yet)');
    }
    return { success: true, data: artifactToWire(artifact) };
  });
  app.delete(
    '/api/v1/operations/:operationId/cancel',
    { schema: { params: IdParams, response: { 200: OperationEnvelope, 404: ErrorBody } } },
    async (req) => {
      const id = req.params.operationId;
      // The job thread started it ahead a moment ago; this thread follows it once the report that
      // claims it has its answer (a round trip): cancel it then, rather than say it is unknown.
      if (!operations.has(id) && startedAhead?.operationId === id) await startedAhead.followed;
      if (!operations.has(id)) throw new OperationNotFoundError(id);
      const reason = cancelReason(req.body) ?? 'Cancelled by user';
      if (operations.requestCancel(id, reason)) log.info({ operationId: id, reason }, 'cancellation requested');
      return { success: true, data: operations.read(id)! };
    },
  );

  /** 1 while this worker takes new work: job threads read it before they start a handed-over job. */
  const accepting = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(accepting, 0, 1);
  /** The job held ahead (prefetched) by this worker's job thread, which the backend may take back. */
  const prefetch = new PrefetchSlot(new SharedArrayBuffer(PREFETCH_SLOT_BYTES));
  const prefetchBuffer = prefetch.buffer;
  app.post(
    '/api/v1/prefetch/revoke',
    { schema: { body: PrefetchRevokeRequest, response: { 200: PrefetchRevokeReply } } },
    async (req) => {
      const outcome = prefetch.revoke(req.body.attempt_id);
      log.info({ operationId: req.body.operation_id, attemptId: req.body.attempt_id, outcome }, 'backend took back the job given ahead');
      return { outcome };
    },
  );
  const authHeaders: Record<string, string> = opts.apiToken ? { authorization: `Bearer ${opts.apiToken}` } : {};
  /** Lets the job thread push a completed attempt's final report itself and start what the reply hands over. */
  const finishFor = (attemptId: string): RunFinish => ({
    workerId: opts.workerId,
    attemptId,
    apiUrl: opts.apiUrl,
    headers: authHeaders,
    timeoutMs: 5_000,
    accepting: accepting.buffer as SharedArrayBuffer,
    targets: threadTargets,
    prefetchSlot: prefetchBuffer,
  });

  /**
   * Runs an admitted job (this worker's `current`): its operation record, its thread run, and what
   * happens when it ends (the final report, and the job the backend hands over in its reply).
   */
  const launch = (
    job: JobDefinition<TSchema>,
    operationId: string,
    attemptId: string | null,
    params: Record<string, unknown>,
    start: (callbacks: RunCallbacks) => ThreadRun,
  ): void => {
    current = operationId;
    currentAttempt = attemptId;
    const metadata: OperationMetadata = job.describe?.(params as never) ?? { parameters: params };
    const { signal } = operations.create(operationId, job.operationType, metadata, attemptId);
    const opLog = log.child({ operationId });
    opLog.info({ operationType: job.operationType, attemptId }, 'operation started');
    let ended: RunResult | undefined;
    const run = start({
      signal,
      cancelGraceMs: opts.cancelGraceMs,
      onProgress: (u) => operations.progress(operationId, u),
      onMetric: (m) => operations.metric(operationId, m),
      onLog: (message, fields) => opLog.info(fields ?? {}, message),
      onAheadStarted: (id) => {
        let followed!: () => void;
        startedAhead = { operationId: id, followed: new Promise<void>((r) => (followed = r)), resolve: () => followed() };
      },
    });
    currentCodeFinished = run.codeFinished;
    currentRun = run.result
      .then((result) => {
        ended = result;
        operations.complete(operationId, result.output);
        // Pushed by the job thread itself: the backend has the final state (and the artifact, which never came here).
        if (result.reported) operations.markDelivered(operationId, result.hadArtifact === true);
        if (result.reported === 'stale') opLog.warn('backend refused the final report: attempt is stale');
        opLog.info({ reportedBy: result.reported ? 'job thread' : undefined }, 'operation completed');
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
        currentAttempt = null;
        currentRun = undefined;
        currentCodeFinished = () => false;
        // Requests about the job started ahead wait for it to be followed (below).
        const aheadWaiting = startedAhead;
        startedAhead = undefined;
        // A job its thread started (handed over, or held ahead) becomes `current` first, so that a
        // final report pushed from here says this worker is busy.
        if (ended?.started && ended.next) adopt(ended.next, ended.started);
        // The thread gave back what it held ahead at the run's end; unless it died doing so.
        else prefetch.clear();
        aheadWaiting?.resolve();
        if (!ended?.reported) {
          if (attemptId !== null) pushFinal(operationId, attemptId, ended?.startedAhead ? ended.next : undefined);
        } else if (!ended.started && ended.next) {
          void startHandedOver(ended.next);
        }
      });
  };

  /** What a start request got: the reply the route sends (status + body). */
  type StartOutcome = { code: 200 | 409 | 503; body: Record<string, unknown> };

  /**
   * Starts a job if this worker is free: exclusivity, the task-id rule, the job's validate hook, the
   * attempt claim (unless the backend handed the job over itself), then the job thread. A validate
   * hook's error is thrown (the route maps it to its 4xx).
   */
  const startJob = async (job: JobDefinition<TSchema>, body: Record<string, unknown>, preclaimed: boolean): Promise<StartOutcome> => {
    // The previous job has ended and its thread is reporting that: hear of it first (the backend may
    // have, and sent this start on the strength of it).
    while (!draining && current !== null && currentCodeFinished() && currentRun) {
      log.debug({ previous: current }, "start request waits for the previous job's final report");
      await currentRun;
    }
    if (draining || current !== null) {
      return { code: 503, body: { error: draining ? 'Worker draining' : 'Worker busy', current_operation: current } };
    }
    const { task_id, attempt_id, ...params } = body as Record<string, unknown> & { task_id?: string; attempt_id?: string };
    if (task_id !== undefined && operations.seen(task_id, attempt_id ?? null)) {
      return { code: 409, body: { detail: `task_id ${task_id} (this attempt) already ran on this worker; it never runs twice here`, code: 'TASK_ALREADY_RUN' } };
    }
    // Claim the worker before any await so two concurrent starts can't both pass the check.
    const operationId = task_id ?? newWorkerOperationId(job.domain);
    current = operationId;
    currentAttempt = attempt_id ?? null;
    try {
      await job.validate?.(params as never, opts.settings);
      if (attempt_id !== undefined && !preclaimed) {
        // No job code runs before the backend confirms this attempt is still the current one:
        // a start request that sat in a buffer while the backend moved on must not run.
        const answer = await reporter.claim(operationId, { attempt_id, worker_id: opts.workerId, status: 'running' });
        if (answer !== 'accepted') {
          log.warn({ operationId, attemptId: attempt_id, answer }, 'attempt not confirmed by the backend; not running it');
          current = null;
          currentAttempt = null;
          return answer === 'stale'
            ? { code: 409, body: { detail: `attempt ${attempt_id} of ${operationId} is no longer current`, code: 'STALE_ATTEMPT' } }
            : { code: 503, body: { error: 'Backend unreachable: cannot confirm the attempt', current_operation: null } };
        }
      }
    } catch (err) {
      current = null;
      currentAttempt = null;
      throw err;
    }
    launch(job, operationId, attempt_id ?? null, params, (callbacks) =>
      runJobInThread(job.module, params, {
        ...callbacks,
        operationId,
        settings: opts.settings,
        ...(attempt_id === undefined ? {} : { finish: finishFor(attempt_id) }),
      }),
    );
    return { code: 200, body: { success: true, operation_id: operationId, status: 'started', worker_id: opts.workerId } };
  };

  /**
   * Start routes by path, with the very body validator the route uses (same Ajv: defaults filled in,
   * bounded JSON, no coercion), for jobs the backend hands over in a report reply.
   */
  const handOverTargets = new Map<string, { job: JobDefinition<TSchema>; validate: ValidateBody }>();
  /** The same routes as job threads get them, to start a handed-over job themselves. */
  const threadTargets: HandOverTarget[] = [];
  const compileBody = buildValidatorCompiler();
  for (const job of opts.jobs) {
    const body = Type.Object(
      {
        ...(job.params as unknown as { properties: Record<string, TSchema> }).properties,
        task_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        attempt_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      },
      { additionalProperties: false },
    );
    const path = `/${job.domain}/start`;
    handOverTargets.set(path, { job, validate: compileBody({ schema: body as never, httpPart: 'body', method: 'POST', url: path }) as unknown as ValidateBody });
    threadTargets.push({ path, module: job.module.href, schema: JSON.parse(JSON.stringify(body)) as Record<string, unknown>, hasValidate: job.validate !== undefined });
    app.post(
      `/${job.domain}/start`,
      { schema: { body, response: { 200: StartResponse, 400: ErrorBody, 409: ErrorBody, 503: WorkerBusyBody } } },
      async (req, reply) => {
        const outcome = await startJob(job, req.body as Record<string, unknown>, false);
        return reply.code(outcome.code).send(outcome.body as never);
      },
    );
  }

  /**
   * Pushes a finished op's final state (with metrics and artifact) until the backend acknowledges
   * it. `prefetched`: the job held ahead that the job thread started when this one ended (its claim).
   */
  const pushFinal = (operationId: string, attemptId: string, prefetched?: NextJob): void => {
    const final = operations.finalReport(operationId);
    if (!final) return;
    const { op, metrics, artifact } = final;
    if (op.status !== 'completed' && op.status !== 'failed' && op.status !== 'cancelled') return;
    const accepting = !draining && current === null;
    void reporter
      .pushFinal(operationId, {
        attempt_id: attemptId,
        worker_id: opts.workerId,
        status: op.status,
        progress: op.progress,
        error_message: op.error_message,
        result_summary: op.result_summary,
        metrics,
        // Bytes stay bytes: the reporter sends them attached to the report, not as base64.
        ...(artifact === undefined ? {} : { artifact }),
        accepting_work: accepting,
        ...(prefetched ? { prefetched: { operation_id: prefetched.operation_id, attempt_id: prefetched.attempt_id } } : {}),
      })
      .then(({ answer, next }) => {
        if (answer !== 'unreachable') {
          operations.markFinalStateDelivered(operationId);
          // The backend has the artifact (or wants none of this attempt): don't keep tens of MiB here.
          operations.dropArtifact(operationId);
        }
        if (next) void startHandedOver(next);
      });
  };

  /**
   * Starts a job the backend handed over in a report reply, with the same checks as the start route
   * (body schema, exclusivity, validate hook) but without the claim round trip: the backend assigned
   * it to this worker in its reply. If it cannot start here, the attempt is reported failed at once
   * so the backend settles (and may retry) it.
   */
  const startHandedOver = async (next: NextJob): Promise<void> => {
    let detail: string;
    const target = handOverTargets.get(next.path);
    const body = structuredClone(next.body);
    if (!target) detail = `no job is served at ${next.path}`;
    else if (!target.validate(body)) {
      const first = target.validate.errors?.[0];
      detail = `invalid request: ${first ? `${first.instancePath || '/'} ${first.message ?? ''}` : 'does not match the schema'}`;
    } else {
      try {
        const outcome = await startJob(target.job, body, true);
        if (outcome.code === 200) return;
        const b = outcome.body as { detail?: string; error?: string };
        detail = b.detail ?? b.error ?? `HTTP ${outcome.code}`;
      } catch (err) {
        detail = toError(err).message;
      }
    }
    await refuseHandedOver(next, detail);
  };

  /** A handed-over job that cannot start here is reported failed at once, so the backend settles (and may retry) it. */
  const refuseHandedOver = async (next: NextJob, detail: string): Promise<void> => {
    log.warn({ operationId: next.operation_id, detail }, 'could not start the job handed over by the backend');
    await reporter.pushFinal(next.operation_id, {
      attempt_id: next.attempt_id,
      worker_id: opts.workerId,
      status: 'failed',
      error_message: `worker ${opts.workerId} could not start it: ${detail}`,
    });
  };

  /**
   * Follows a handed-over job that its job thread already started (the thread validated the body
   * with the start route's schema and ran the validate hook). Right after the previous job ended,
   * so nothing can have taken the worker in between. A drain that began meanwhile lets it run like
   * any running job (drain() waits for it); a worker that is closing stops it and reports it failed
   * to start, so the backend settles (and may retry) it.
   */
  const adopt = (next: NextJob, run: HandedOverRun): void => {
    const target = handOverTargets.get(next.path);
    if (!target || closing || current !== null) {
      const stop = new AbortController();
      stop.abort('not followed');
      void run.attach({ signal: stop.signal, onProgress: () => undefined, onMetric: () => undefined, onLog: () => undefined }).result.catch(() => undefined);
      void refuseHandedOver(next, closing ? 'Worker shutting down' : !target ? `no job is served at ${next.path}` : 'Worker busy');
      return;
    }
    launch(target.job, next.operation_id, next.attempt_id, run.params, (callbacks) => run.attach(callbacks));
  };

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      Atomics.store(accepting, 0, 0);
      registrar?.close();
      reporter.close();
      if (current) operations.requestCancel(current, 'Worker shutting down');
      await currentRun;
      await app.close();
    })());

  return {
    app: app as unknown as FastifyInstance,
    workerId: opts.workerId,
    operations,
    startRegistration(url: string | (() => Promise<string>)) {
      endpointUrl = url;
      registrar ??= new Registrar(
        {
          log: workerLog,
          lastHealthCheckAt: () => lastHealthCheckAt,
          registration: async () => ({
            worker_id: opts.workerId,
            worker_type: opts.workerType,
            endpoint_url: typeof endpointUrl === 'function' ? await endpointUrl() : endpointUrl,
            capabilities: opts.capabilities,
            current_operation_id: running(),
            current_attempt_id: running() ? currentAttempt : null,
            boot_id: bootId,
          }),
          workerId: opts.workerId,
        },
        {
          apiUrl: opts.apiUrl,
          apiToken: opts.apiToken,
          checkIntervalMs: opts.registrationCheckIntervalMs,
          healthSilenceMs: opts.healthSilenceMs,
        },
      );
      const r = registrar;
      void threadReady.then(() => {
        if (!closing) r.start();
      });
    },
    async drain() {
      if (draining) return close();
      draining = true;
      Atomics.store(accepting, 0, 0);
      const running = current;
      log.info({ currentOperation: running, drainMs: opts.drainMs }, 'draining: no new work accepted');
      if (running && currentRun) {
        const drainEnds = Date.now() + opts.drainMs;
        let finished = true;
        // The job a thread started from a hand-over just before the drain began runs on as `current`.
        let run: Promise<void> | undefined = currentRun;
        while (run && finished) {
          finished = await Promise.race([
            run.then(() => true),
            new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, drainEnds - Date.now())).unref()),
          ]);
          run = currentRun as Promise<void> | undefined;
        }
        if (!finished && current) {
          log.warn({ operationId: current }, 'drain period over; cancelling the running operation');
          operations.requestCancel(current, 'Cancelled: worker shut down before the operation finished');
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
