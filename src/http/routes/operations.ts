import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CancelResponse,
  ErrorBody,
  MetricsResponse,
  OperationEnvelope,
  OperationIdParam,
  OperationList,
  OperationListQuery,
  OperationReport,
  OperationReportReply,
  decodeReportFrame,
  isInlineBytes,
  REPORT_FRAME_MEDIA_TYPE,
  ResultsQuery,
} from '../../contracts/index.js';
import { ClaimedElsewhereError, InvalidRequestError, StaleAttemptError } from '../../contracts/errors.js';
import { cancelReason } from '../../server-kit/cancel-reason.js';
import type { OperationsService } from '../../core/operations/operations-service.js';
import type { HandedOver, Scheduler } from '../../core/queue/scheduler.js';
import type { ResultFiles } from '../../core/results/result-files.js';
import { renderResult } from '../../core/results/render-result.js';

export interface OperationRoutesOptions {
  operations: OperationsService;
  /** 1-based queue place of a queued op. */
  queuePosition?: (operationId: string) => number | null;
  /**
   * Queued jobs handed to a worker in the reply to its final report: the next one for a worker
   * that is idle, and one ahead for a worker whose job thread can hold it (see Scheduler).
   */
  handOut?: Pick<Scheduler, 'assignTo' | 'prefetchFor' | 'claimPrefetched' | 'settlePrefetch'>;
  /**
   * Where the binary fields of pushed artifacts (a backtest's equity curve) are written. Without
   * it they stay inline (base64) in the stored result.
   */
  resultFiles?: ResultFiles;
}

const IdParams = Type.Object({ operationId: OperationIdParam });

export const operationRoutes: FastifyPluginAsyncTypebox<OperationRoutesOptions> = async (app, { operations, queuePosition, handOut, resultFiles }) => {
  // A worker's final report with the artifact's bytes attached (contracts/report-frame.ts). The
  // parser is registered inside this plugin, so only these routes accept the type.
  app.addContentTypeParser(REPORT_FRAME_MEDIA_TYPE, { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, decodeReportFrame(body as Buffer));
    } catch (err) {
      done(InvalidRequestError.field('body', (err as Error).message), undefined);
    }
  });
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
        summary:
          'Result artifact of a completed operation (all trades, …); its equity curve is downsampled to max_points (min, max and deepest drawdown per bucket) unless equity=full',
        params: IdParams,
        querystring: ResultsQuery,
        response: { 200: Type.Object({ success: Type.Boolean(), data: Type.Unknown() }), 404: ErrorBody },
      },
    },
    async (req) => {
      const id = req.params.operationId;
      const stored: unknown = await operations.results(id);
      const data = await renderResult(stored, {
        full: req.query.equity === 'full',
        maxPoints: req.query.max_points ?? 1000,
        read: (ref) => {
          if (!resultFiles) throw new Error('this backend has no results directory');
          return resultFiles.read(id, ref);
        },
      });
      return { success: true, data };
    },
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
      const id = req.params.operationId;
      let report = req.body;
      let files: string[] = [];
      if (resultFiles && report.status === 'completed' && report.artifact !== undefined) {
        // The bulky series go to files before the report is applied (synchronously: nothing may
        // settle the op in between); a refused report's files go again.
        const stored = resultFiles.storeBlobs(id, report.artifact);
        report = { ...report, artifact: stored.artifact };
        files = stored.files;
      } else if (report.artifact !== undefined) {
        report = { ...report, artifact: bytesToBase64(report.artifact) };
      }
      const workerId = req.body.worker_id;
      // The job held ahead that the worker's job thread started when this one ended: its claim
      // counts whatever this report's fate (it is fenced by its own attempt).
      const claim = req.body.prefetched;
      if (claim && workerId && handOut) handOut.claimPrefetched(workerId, claim);
      let outcome: Awaited<ReturnType<OperationsService['receiveReport']>>;
      try {
        outcome = await operations.receiveReport(id, report);
      } catch (err) {
        if (files.length > 0) await resultFiles?.discard(id, files);
        throw err;
      }
      if (outcome.kind === 'stale') {
        if (files.length > 0) await resultFiles?.discard(id, files);
        throw new StaleAttemptError(id, outcome.reason);
      }
      const ended = outcome.op.status === 'completed' || outcome.op.status === 'failed' || outcome.op.status === 'cancelled';
      // Handed out before any I/O wait, so the scheduler's next pass cannot take the jobs meanwhile.
      let next: HandedOver | undefined;
      let ahead: HandedOver | undefined;
      if (ended && workerId && handOut) {
        // The job thread decided about the job it held ahead before this report left: unclaimed, it goes back to the queue.
        handOut.settlePrefetch(workerId, id);
        if (req.body.accepting_work === true) next = handOut.assignTo(workerId);
        // The job the worker runs now: the one handed over, or the one it claimed.
        const runs = next?.operation_id ?? (claim && operations.known(claim.operation_id)?.status === 'running' ? claim.operation_id : undefined);
        if (req.body.prefetch === true && runs !== undefined) ahead = handOut.prefetchFor(workerId, runs);
      }
      // The report's effect and the handed-out attempts are durable before the worker hears back
      // (all waits taken now: a write chain that has finished no longer reports its failure).
      const handedOut = [next, ahead].map((job) => {
        if (!job) return undefined;
        const p = operations.persisted(job.operation_id);
        p.catch(() => undefined);
        return p;
      });
      await operations.persisted(req.params.operationId);
      // A job another backend on the same store claimed first (or that was cancelled meanwhile) is not handed out.
      const stillOurs = async (job: HandedOver | undefined, written: Promise<void> | undefined): Promise<HandedOver | undefined> => {
        if (!job) return undefined;
        await written!.catch((err: unknown) => {
          if (!(err instanceof ClaimedElsewhereError)) throw err;
        });
        return operations.attemptIsCurrent(job.operation_id, job.attempt_id) ? job : undefined;
      };
      next = await stillOurs(next, handedOut[0]);
      ahead = await stillOurs(ahead, handedOut[1]);
      return { accepted: true, status: outcome.op.status, ...(next ? { next } : {}), ...(ahead ? { prefetch: ahead } : {}) };
    },
  );
};

/** Without a results directory, attached bytes are stored inline as base64 (they cannot go into JSON raw). */
function bytesToBase64(artifact: unknown): unknown {
  if (typeof artifact !== 'object' || artifact === null || Array.isArray(artifact)) return artifact;
  const entries = Object.entries(artifact as Record<string, unknown>);
  if (!entries.some(([, v]) => isInlineBytes(v))) return artifact;
  return Object.fromEntries(
    entries.map(([k, v]) => [
      k,
      isInlineBytes(v) ? { $binary: 'base64', media_type: v.media_type, data: Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).toString('base64') } : v,
    ]),
  );
}
