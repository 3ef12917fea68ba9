import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CancelResponse,
  ErrorBody,
  MetricsResponse,
  OperationEnvelope,
  OperationList,
  OperationListQuery,
  OperationReport,
  OperationReportReply,
} from '../../contracts/index.js';
import { InvalidRequestError, StaleAttemptError } from '../../contracts/errors.js';
import { cancelReason } from '../../server-kit/cancel-reason.js';
import type { OperationsService } from '../../core/operations/operations-service.js';

export interface OperationRoutesOptions {
  operations: OperationsService;
  /** 1-based queue place of a queued op. */
  queuePosition?: (operationId: string) => number | null;
  /** The next queued job for a worker that just reported a final state (see Scheduler.assignTo). */
  assignNext?: (workerId: string) => { operation_id: string; attempt_id: string; path: string; body: Record<string, unknown> } | undefined;
}

const IdParams = Type.Object({ operationId: Type.String({ minLength: 1 }) });

export const operationRoutes: FastifyPluginAsyncTypebox<OperationRoutesOptions> = async (app, { operations, queuePosition, assignNext }) => {
  const withPosition = <T extends { operation_id: string; status: string }>(op: T): T =>
    op.status === 'queued' && queuePosition ? { ...op, queue_position: queuePosition(op.operation_id) } : op;
  app.get(
    '/operations',
    {
      schema: {
        tags: ['operations'],
        summary: 'List operations, newest first',
        querystring: OperationListQuery,
        response: { 200: OperationList },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await operations.list({
        status: q.status,
        operationType: q.operation_type,
        activeOnly: q.active_only ?? false,
        limit: q.limit ?? 100,
        offset: q.offset ?? 0,
      });
      return { success: true, data: page.items.map(withPosition), total_count: page.total, active_count: page.active };
    },
  );

  app.get(
    '/operations/:operationId',
    {
      schema: {
        tags: ['operations'],
        summary: 'One operation; a running one is refreshed from its worker (cached for OPERATIONS_CACHE_TTL)',
        params: IdParams,
        querystring: Type.Object({ force_refresh: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 200: OperationEnvelope, 404: ErrorBody },
      },
    },
    async (req) => ({
      success: true,
      data: withPosition(await operations.get(req.params.operationId, { forceRefresh: req.query.force_refresh ?? false })),
    }),
  );

  app.get(
    '/operations/:operationId/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Metrics recorded after `cursor` (e.g. training epochs)',
        params: IdParams,
        querystring: Type.Object({ cursor: Type.Optional(Type.Integer({ minimum: 0, default: 0 })) }),
        response: { 200: MetricsResponse, 404: ErrorBody },
      },
    },
    async (req) => {
      const { metrics, new_cursor } = await operations.metrics(req.params.operationId, req.query.cursor ?? 0);
      return { success: true, data: { operation_id: req.params.operationId, metrics, new_cursor } };
    },
  );

  app.get(
    '/operations/:operationId/results',
    {
      schema: {
        tags: ['operations'],
        summary: 'Full result artifact of a completed operation (all trades, full equity curve, …)',
        params: IdParams,
        response: { 200: Type.Object({ success: Type.Boolean(), data: Type.Unknown() }), 404: ErrorBody },
      },
    },
    async (req) => ({ success: true, data: await operations.results(req.params.operationId) }),
  );

  app.delete(
    '/operations/:operationId/cancel',
    {
      schema: {
        tags: ['operations'],
        summary: 'Cancel an operation on its worker',
        params: IdParams,
        // No body schema: DELETE usually comes without a body, and `reason` is optional.
        response: { 200: CancelResponse, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const reason = cancelReason(req.body);
      const op = await operations.cancel(req.params.operationId, reason);
      return {
        success: true,
        data: { operation_id: op.operation_id, status: op.status, cancelled_at: op.completed_at, reason: reason ?? null },
      };
    },
  );

  app.post(
    '/operations/:operationId/report',
    {
      // A completed backtest's full artifact (trades, equity curve) rides along.
      bodyLimit: 256 * 1024 * 1024,
      schema: {
        tags: ['workers'],
        summary: "A worker's claim of an attempt (before its job runs) or its final state (pushed when the job ends)",
        params: IdParams,
        body: OperationReport,
        response: { 200: OperationReportReply, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => {
      const outcome = await operations.receiveReport(req.params.operationId, req.body);
      if (outcome.kind === 'stale') throw new StaleAttemptError(req.params.operationId, outcome.reason);
      const ended = outcome.op.status === 'completed' || outcome.op.status === 'failed' || outcome.op.status === 'cancelled';
      const workerId = req.body.worker_id;
      // Handed over before any I/O wait, so the scheduler's next pass cannot take the job meanwhile.
      const next = ended && req.body.accepting_work === true && workerId && assignNext ? assignNext(workerId) : undefined;
      // The report's effect and the handed-over attempt are durable before the worker hears back.
      await operations.persisted(req.params.operationId);
      if (next) await operations.persisted(next.operation_id);
      return { accepted: true, status: outcome.op.status, ...(next ? { next } : {}) };
    },
  );
};
