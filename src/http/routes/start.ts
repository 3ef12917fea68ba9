import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TSchema, Static } from 'typebox';
import { ErrorBody, NoWorkersBody, StartResponse, type OperationMetadata } from '../../contracts/index.js';
import type { DispatchTarget, Dispatcher } from '../../core/dispatch/dispatcher.js';
import { InvalidRequestError, NoWorkersAvailableError, OperationEndedError } from '../../core/errors.js';
import type { OperationsService } from '../../core/operations/operations-service.js';

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
  dispatcher: Dispatcher;
}

function hint(workerType: string, registered: number): string {
  return registered === 0
    ? `No ${workerType} worker is registered. Start one with \`ktrdr worker ${workerType}\` (KTRDR_API_URL pointing at this backend) or \`ktrdr up\`.`
    : `All ${registered} ${workerType} worker(s) are busy or unavailable. Retry when one finishes, or add workers (\`ktrdr worker ${workerType}\`, or \`docker compose up --scale\`).`;
}

/** One POST route per spec: validate → persist pending op → dispatch → started, or 503 with the op failed. */
export const startRoutes: FastifyPluginAsyncTypebox<StartRoutesOptions> = async (app, { routes, operations, dispatcher }) => {
  for (const spec of routes) {
    for (const [i, path] of spec.paths.entries()) {
      app.post(
        path,
        {
          schema: {
            tags: [spec.operationType],
            summary: i === 0 ? spec.summary : `Alias of ${spec.paths[0]}`,
            body: spec.body,
            response: { 200: StartResponse, 400: ErrorBody, 503: NoWorkersBody },
          },
        },
        async (req) => {
          const prepared = await spec.prepare(req.body as Static<typeof spec.body>);
          const op = operations.create(spec.operationType, prepared.metadata, req.body);
          const outcome = await dispatcher.dispatch(op.operation_id, {
            workerType: spec.workerType,
            startPath: spec.workerPath,
            payload: prepared.payload,
            selection: prepared.selection,
          });
          if (outcome.kind === 'dispatched') {
            return { success: true, operation_id: op.operation_id, status: 'started' as const, worker_id: outcome.workerId };
          }
          if (outcome.kind === 'ended') throw new OperationEndedError(op.operation_id, outcome.status);
          if (outcome.kind === 'rejected') {
            operations.markFailed(op.operation_id, `worker ${outcome.workerId} rejected the request: ${outcome.message}`);
            throw InvalidRequestError.field('body', outcome.message);
          }
          const error = new NoWorkersAvailableError(
            spec.workerType,
            outcome.registeredWorkers,
            hint(spec.workerType, outcome.registeredWorkers),
            op.operation_id,
          );
          operations.markFailed(
            op.operation_id,
            `${error.message} (${outcome.registeredWorkers} registered${outcome.lastError ? `; last error: ${outcome.lastError}` : ''})`,
          );
          throw error;
        },
      );
    }
  }
};
