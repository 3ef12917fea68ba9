import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  ErrorBody,
  RegisterWorkerRequest,
  RegisterWorkerResponse,
  WorkerInfo,
  WorkersHealthSummary,
  WorkerStatus,
} from '../../contracts/index.js';
import { WorkerNotFoundError } from '../../contracts/errors.js';
import type { WorkerAdmission } from '../../core/registry/worker-admission.js';
import type { OperationsService } from '../../core/operations/operations-service.js';
import { WorkerRegistry } from '../../core/registry/worker-registry.js';

export interface WorkerRoutesOptions {
  registry: WorkerRegistry;
  operations: OperationsService;
  admission: WorkerAdmission;
  /** Called after a (re-)registration took effect: a worker may be free for queued work. */
  onRegistered?: () => void;
}

export const workerRoutes: FastifyPluginAsyncTypebox<WorkerRoutesOptions> = async (app, { registry, operations, admission, onRegistered }) => {
  app.post(
    '/workers/register',
    {
      schema: {
        tags: ['workers'],
        summary: 'Register (or re-register) a worker; idempotent per worker_id. The backend probes endpoint_url first.',
        body: Type.Object({ ...RegisterWorkerRequest.properties, endpoint_url: Type.String({ minLength: 1, maxLength: 2048 }) }, { additionalProperties: false }),
        response: { 200: RegisterWorkerResponse, 400: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (req) => {
      const body = req.body;
      const outcome = await admission.admit(body, req.ip);
      req.log.info(
        {
          workerId: body.worker_id,
          workerType: body.worker_type,
          endpointUrl: outcome.worker.endpointUrl,
          currentOperationId: body.current_operation_id ?? null,
          isNew: outcome.isNew,
          replaced: outcome.replacedWorkerId,
          restarted: outcome.restarted,
        },
        outcome.isNew ? 'worker registered' : 'worker re-registered',
      );
      await operations.onWorkerRegistered(
        outcome.worker,
        { operationId: body.current_operation_id ?? null, attemptId: body.current_attempt_id ?? null },
        { replacedWorkerId: outcome.replacedWorkerId, restarted: outcome.restarted },
      );
      onRegistered?.();
      return { success: true, worker: WorkerRegistry.toWire(outcome.worker) };
    },
  );

  app.get(
    '/workers',
    {
      schema: {
        tags: ['workers'],
        summary: 'List registered workers (a bare JSON array)',
        querystring: Type.Object({ worker_type: Type.Optional(Type.String()), status: Type.Optional(WorkerStatus) }),
        response: { 200: Type.Array(WorkerInfo) },
      },
    },
    async (req) =>
      registry
        .list({ workerType: req.query.worker_type, status: req.query.status })
        .map((w) => WorkerRegistry.toWire(w)),
  );

  app.get(
    '/workers/health',
    { schema: { tags: ['workers'], summary: 'Worker counts by status and type', response: { 200: WorkersHealthSummary } } },
    async () => registry.summary(),
  );

  app.get(
    '/workers/:workerId',
    {
      schema: {
        tags: ['workers'],
        summary: 'One worker',
        params: Type.Object({ workerId: Type.String() }),
        response: { 200: WorkerInfo, 404: ErrorBody },
      },
    },
    async (req) => {
      const w = registry.get(req.params.workerId);
      if (!w) throw new WorkerNotFoundError(req.params.workerId);
      return WorkerRegistry.toWire(w);
    },
  );
};
