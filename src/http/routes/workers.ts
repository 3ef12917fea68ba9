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
import { InvalidRequestError, WorkerNotFoundError } from '../../core/errors.js';
import type { OperationsService } from '../../core/operations/operations-service.js';
import { WorkerRegistry } from '../../core/registry/worker-registry.js';

export interface WorkerRoutesOptions {
  registry: WorkerRegistry;
  operations: OperationsService;
  /** Worker types this backend can dispatch to; registration of any other type is refused. */
  workerTypes: readonly string[];
}

function checkEndpointUrl(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw InvalidRequestError.field('endpoint_url', `'${raw}' is not a URL (expected e.g. http://10.0.0.5:5003)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw InvalidRequestError.field('endpoint_url', `must be an http:// or https:// URL, got '${url.protocol}'`);
  }
}

export const workerRoutes: FastifyPluginAsyncTypebox<WorkerRoutesOptions> = async (app, { registry, operations, workerTypes }) => {
  app.post(
    '/workers/register',
    {
      schema: {
        tags: ['workers'],
        summary: 'Register (or re-register) a worker; idempotent per worker_id',
        body: Type.Object({ ...RegisterWorkerRequest.properties, endpoint_url: Type.String({ minLength: 1 }) }),
        response: { 200: RegisterWorkerResponse, 400: ErrorBody },
      },
    },
    async (req) => {
      const body = req.body;
      if (!workerTypes.includes(body.worker_type)) {
        throw InvalidRequestError.field('worker_type', `must be one of ${workerTypes.join(', ')}, got '${body.worker_type}'`);
      }
      checkEndpointUrl(body.endpoint_url);
      const outcome = registry.register(body);
      req.log.info(
        {
          workerId: body.worker_id,
          workerType: body.worker_type,
          endpointUrl: outcome.worker.endpointUrl,
          currentOperationId: body.current_operation_id ?? null,
          isNew: outcome.isNew,
          replaced: outcome.replacedWorkerId,
        },
        outcome.isNew ? 'worker registered' : 'worker re-registered',
      );
      await operations.onWorkerRegistered(outcome.worker, body.current_operation_id ?? null, outcome.replacedWorkerId);
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
