import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { BackendHealth } from '../contracts/index.js';
import type { OperationsService } from '../core/operations/operations-service.js';
import type { Scheduler } from '../core/queue/scheduler.js';
import type { WorkQueue } from '../core/queue/work-queue.js';
import type { WorkerAdmission } from '../core/registry/worker-admission.js';
import type { WorkerRegistry } from '../core/registry/worker-registry.js';
import type { ResultFiles } from '../core/results/result-files.js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { registerServerKit, serverOptions } from '../server-kit/server-kit.js';
import { operationRoutes } from './routes/operations.js';
import { startRoutes, type StartRouteSpec } from './routes/start.js';
import { sweepRoutes } from './routes/sweeps.js';
import { Submitter } from '../core/queue/submitter.js';
import type { SweepService } from '../core/sweeps/sweep-service.js';
import { workerRoutes } from './routes/workers.js';

export interface AppDeps {
  log: Logger;
  registry: WorkerRegistry;
  operations: OperationsService;
  admission: WorkerAdmission;
  scheduler: Scheduler;
  queue: WorkQueue;
  /** Queued operations at most (429 beyond). @defaultValue 10000 */
  maxQueued?: number;
  startRoutes: readonly StartRouteSpec[];
  /** The submission path (built from scheduler, queue and maxQueued when absent). */
  submitter?: Submitter;
  /** Files of the artifacts' binary fields (equity curves); inline in the store when absent. */
  resultFiles?: ResultFiles;
  /** Sweeps (`/sweeps` routes) when given. */
  sweeps?: SweepService;
  /**
   * When set, every route requires `Authorization: Bearer <token>` except those marked
   * `config: { public: true }` (health, the dashboard shell and its assets).
   */
  apiToken?: string | undefined;
  version?: string;
  /** Extra plugins (dashboard, metrics, docs) registered at the root before the API routes. */
  plugins?: readonly FastifyPluginAsync[];
  /** Runs when the app closes (after in-flight requests drained). */
  close?: () => Promise<void>;
}

/** Builds the backend's Fastify app. It never listens: composition roots (src/bin) do. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log, bodyLimit: 5 * 1024 * 1024, ...serverOptions() }).withTypeProvider<TypeBoxTypeProvider>();
  registerServerKit(app as unknown as FastifyInstance, { apiToken: deps.apiToken });
  await app.register(swagger, {
    openapi: {
      info: { title: 'ktrdr backend API', version: deps.version ?? '0.0.0', description: 'Orchestrates backtesting and training workers.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  for (const plugin of deps.plugins ?? []) await app.register(plugin);

  const health = async () => ({ healthy: true, service: 'ktrdr-backend', timestamp: new Date().toISOString(), version: deps.version ?? '0.0.0' });
  app.get('/health', { config: { public: true }, schema: { tags: ['health'], summary: 'Backend liveness (no token needed)', response: { 200: BackendHealth } } }, health);
  // The seeds' deployment checks probe /api/v1/health.
  app.get('/api/v1/health', { config: { public: true }, schema: { tags: ['health'], summary: 'Alias of /health', response: { 200: BackendHealth } } }, health);
  await app.register(workerRoutes, {
    prefix: '/api/v1',
    registry: deps.registry,
    operations: deps.operations,
    admission: deps.admission,
    onRegistered: () => deps.scheduler.kick(),
  });
  await app.register(operationRoutes, { prefix: '/api/v1', operations: deps.operations, queuePosition: (id) => deps.queue.position(id), handOut: deps.scheduler, ...(deps.resultFiles ? { resultFiles: deps.resultFiles } : {}) });
  const submitter =
    deps.submitter ??
    new Submitter({ operations: deps.operations, scheduler: deps.scheduler, queue: deps.queue }, deps.maxQueued === undefined ? {} : { maxQueued: deps.maxQueued });
  await app.register(startRoutes, { prefix: '/api/v1', routes: deps.startRoutes, operations: deps.operations, submitter });
  if (deps.sweeps) await app.register(sweepRoutes, { prefix: '/api/v1', sweeps: deps.sweeps });
  if (deps.close) {
    const close = deps.close;
    app.addHook('onClose', async () => close());
  }
  return app as unknown as FastifyInstance;
}
