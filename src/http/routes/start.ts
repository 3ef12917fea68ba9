import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema, type Static } from 'typebox';
import { ErrorBody, OperationEnvelope, OperationIdParam, SubmitResponse } from '../../contracts/index.js';
import { InvalidRequestError, OperationNotFoundError } from '../../contracts/errors.js';
import type { OperationsService } from '../../core/operations/operations-service.js';
import type { StartRouteSpec, Submitter } from '../../core/queue/submitter.js';

export type { StartRouteSpec, PreparedStart } from '../../core/queue/submitter.js';

export interface StartRoutesOptions {
  routes: readonly StartRouteSpec[];
  operations: OperationsService;
  submitter: Submitter;
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
  const { routes, operations, submitter } = opts;
  const submit = (spec: StartRouteSpec, request: Record<string, unknown>) => submitter.submit(spec, request);

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
        params: Type.Object({ operationId: OperationIdParam }),
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
      const request = await operations.getRequest(operationId);
      if (!spec || request === null || typeof request !== 'object') throw new OperationNotFoundError(operationId);
      return submit(spec, request as Record<string, unknown>);
    },
  );
};
