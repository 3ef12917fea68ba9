import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, OperationIdParam, SweepCreated, SweepRequest, SweepTable, SweepTableQuery, SweepView } from '../../contracts/index.js';
import type { SweepService } from '../../core/sweeps/sweep-service.js';

export interface SweepRoutesOptions {
  sweeps: SweepService;
}

const IdParams = Type.Object({ sweepId: OperationIdParam });

/** `POST /sweeps`, `GET /sweeps/{id}` and `GET /sweeps/{id}/table` (JSON or CSV). Cancel is the operation's cancel. */
export const sweepRoutes: FastifyPluginAsyncTypebox<SweepRoutesOptions> = async (app, { sweeps }) => {
  app.post(
    '/sweeps',
    {
      schema: {
        tags: ['sweeps'],
        summary: 'Start a parameter sweep: one backtest per grid point (and symbol, timeframe, walk-forward window), all queued',
        body: SweepRequest,
        response: { 200: SweepCreated, 400: ErrorBody, 429: ErrorBody },
      },
    },
    async (req) => {
      const { sweepId, childIds } = await sweeps.create(req.body);
      return { success: true, sweep_id: sweepId, children: childIds.length, child_ids: childIds };
    },
  );

  app.get(
    '/sweeps/:sweepId',
    {
      schema: {
        tags: ['sweeps'],
        summary: 'A sweep: its parent operation (progress aggregated from the children) and every child',
        params: IdParams,
        response: { 200: SweepView, 404: ErrorBody },
      },
    },
    async (req) => {
      const { sweep, dimensions, children } = await sweeps.view(req.params.sweepId);
      const counts: Record<string, number> = {};
      for (const c of children) counts[c.op.status] = (counts[c.op.status] ?? 0) + 1;
      return {
        success: true,
        data: {
          sweep,
          counts,
          grid_paths: dimensions,
          children: children.map(({ op, params }) => ({
            operation_id: op.operation_id,
            operation_type: op.operation_type,
            status: op.status,
            percentage: isFinite(op.progress.percentage) ? op.progress.percentage : 0,
            parameters: params,
            error_message: op.error_message,
          })),
        },
      };
    },
  );

  app.get(
    '/sweeps/:sweepId/table',
    {
      schema: {
        tags: ['sweeps'],
        summary: "A sweep's comparison table: one row per child (parameters, model version, return, Sharpe, drawdown, trades, status); ?format=csv for CSV",
        params: IdParams,
        querystring: SweepTableQuery,
        response: { 200: SweepTable, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const { sort, order, format } = req.query;
      if (format === 'csv') {
        const csv = await sweeps.csv(req.params.sweepId, sort, order);
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${req.params.sweepId}.csv"`).serializer((p: unknown) => p as string).send(csv as never);
      }
      const { sweep, columns, rows } = await sweeps.table(req.params.sweepId, sort, order);
      return { success: true, data: { sweep_id: sweep.operation_id, status: sweep.status, columns, rows } };
    },
  );
};
