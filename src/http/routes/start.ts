import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema, type Static } from 'typebox';
import { ErrorBody, OperationEnvelope, SubmitResponse, type OperationMetadata } from '../../contracts/index.js';
import type { DispatchTarget } from '../../core/dispatch/dispatcher.js';
import { InvalidRequestError, OperationEndedError, OperationNotFoundError, QueueFullError } from '../../contracts/errors.js';
import type { OperationsService } from '../../core/operations/operations-service.js';
import type { Scheduler } from '../../core/queue/scheduler.js';
import type { QueueEntry, WorkQueue } from '../../core/queue/work-queue.js';

/** What the backend needs to accept one kind of operation and hand it to a worker. */
export interface StartRouteSpec<S extends TSchema = TSchema> {
  /** Backend paths under /api/v1 (first one is canonical), e.g. ['/backtests/start']. */
  paths: readonly string[];
  operationType: string;
  workerType: string;
  /** Path of the start route on the worker. */
  workerPath: string;
  body: S;
  summary: string;
  /** Attempts an op gets when its worker is lost (re-queued until then). @defaultValue 1 */
  defaultMaxAttempts?: number;
  /**
   * Validates what the schema cannot (strategy exists, data covers the dates, …) and derives the
   * operation metadata, the payload for the worker and selection rules. Throws InvalidRequestError.
   */
  prepare(body: Static<S>): Promise<PreparedStart> | PreparedStart;
}

export interface PreparedStart {
  metadata: OperationMetadata;
  payload: Record<string, unknown>;
  selection?: DispatchTarget['selection'];
}

export interface StartRoutesOptions {
  routes: readonly StartRouteSpec[];
  operations: OperationsService;
  scheduler: Scheduler;
  queue: WorkQueue;
  /** Queued operations at most; a submission beyond answers 429. @defaultValue 10000 */
  maxQueued?: number;
}

/** Fields every submission accepts on top of its own: its place in the queue and its retry budget. */
const QueueFields = {
  priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100, description: 'Higher runs first; FIFO within a priority. Default 0' })),
  max_attempts: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 10, description: 'Attempts when a worker dies or is removed (default 3 for backtests, 1 for training)' }),
  ),
};

function withQueueFields(body: TSchema): TSchema {
  const props = (body as unknown as { properties: Record<string, TSchema> }).properties;
  const additional = (body as unknown as { additionalProperties?: boolean }).additionalProperties;
  return Type.Object({ ...props, ...QueueFields }, additional === false ? { additionalProperties: false } : {});
}

/**
 * One POST route per spec: validate → persist the op with its dispatch target → start it on a free
 * worker now, or leave it `queued` (durable: it survives a backend restart) until the scheduler
 * finds one. Plus `POST /operations/{id}/retry`, which re-submits a failed or cancelled op's request.
 */
export const startRoutes: FastifyPluginAsyncTypebox<StartRoutesOptions> = async (app, opts) => {
  const { routes, operations, scheduler, queue } = opts;
  const maxQueued = opts.maxQueued ?? 10_000;

  const submit = async (spec: StartRouteSpec, request: Record<string, unknown>): Promise<SubmitResponse> => {
    const { priority, max_attempts, ...body } = request as Record<string, unknown> & { priority?: number; max_attempts?: number };
    const prepared = await spec.prepare(body as Static<typeof spec.body>);
    if (queue.size >= maxQueued) throw new QueueFullError(maxQueued, 30);
    const target: DispatchTarget = {
      workerType: spec.workerType,
      startPath: spec.workerPath,
      payload: prepared.payload,
      ...(prepared.selection ? { selection: prepared.selection } : {}),
    };
    const { op, seq } = operations.create(spec.operationType, prepared.metadata, request, {
      status: 'queued',
      priority: priority ?? 0,
      maxAttempts: max_attempts ?? spec.defaultMaxAttempts ?? 1,
      dispatch: target,
    });
    const entry: QueueEntry = { operationId: op.operation_id, priority: priority ?? 0, seq, target };
    const outcome = await scheduler.dispatchNow(entry);
    if (outcome?.kind === 'dispatched') {
      return { success: true, operation_id: op.operation_id, status: 'started', worker_id: outcome.workerId };
    }
    if (outcome?.kind === 'rejected') {
      throw InvalidRequestError.field('body', `the worker rejected the request: ${outcome.message}`);
    }
    if (outcome?.kind === 'ended') throw new OperationEndedError(op.operation_id, outcome.status);
    if (!outcome && !queue.has(op.operation_id)) scheduler.park(entry);
    const now = await operations.get(op.operation_id);
    return {
      success: true,
      operation_id: op.operation_id,
      status: now.status === 'running' || now.status === 'pending' ? 'started' : 'queued',
      worker_id: now.worker_id,
      queue_position: queue.position(op.operation_id),
      status_detail: now.status_detail ?? null,
    };
  };

  for (const spec of routes) {
    const body = withQueueFields(spec.body);
    for (const [i, path] of spec.paths.entries()) {
      app.post(
        path,
        {
          schema: {
            tags: [spec.operationType],
            summary: i === 0 ? `${spec.summary} (queued until one is free)` : `Alias of ${spec.paths[0]}`,
            body,
            response: { 200: SubmitResponse, 400: ErrorBody, 409: ErrorBody, 429: ErrorBody },
          },
        },
        async (req) => submit(spec, req.body as Record<string, unknown>),
      );
    }
  }

  app.post(
    '/operations/:operationId/retry',
    {
      schema: {
        tags: ['operations'],
        summary: 'Re-submit a failed or cancelled operation with the same request (a new operation)',
        params: Type.Object({ operationId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: SubmitResponse, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const { operationId } = req.params;
      const original = (await operations.get(operationId)) as Static<typeof OperationEnvelope>['data'];
      if (original.status !== 'failed' && original.status !== 'cancelled') {
        throw InvalidRequestError.field('operation_id', `only a failed or cancelled operation can be retried; this one is ${original.status}`);
      }
      const spec = routes.find((r) => r.operationType === original.operation_type);
      const request = operations.getRequest(operationId);
      if (!spec || request === null || typeof request !== 'object') throw new OperationNotFoundError(operationId);
      return submit(spec, request as Record<string, unknown>);
    },
  );
};
