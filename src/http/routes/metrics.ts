import type { FastifyPluginAsync } from 'fastify';
import { WorkersMetrics } from '../../contracts/index.js';
import type { BackendMetrics } from '../../core/monitoring/backend-metrics.js';
import type { WorkerRegistry } from '../../core/registry/worker-registry.js';

export interface MetricsRoutesOptions {
  metrics: BackendMetrics;
  registry: WorkerRegistry;
}

/** `GET /metrics` and `/api/v1/metrics/prometheus` (exposition text), `/api/v1/metrics/workers` (JSON). */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics, registry }) => {
  const exposition = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  };
  app.get('/metrics', { schema: { tags: ['monitoring'], summary: 'Prometheus metrics' } }, exposition);
  app.get('/api/v1/metrics/prometheus', { schema: { tags: ['monitoring'], summary: 'Prometheus metrics' } }, exposition);
  app.get('/api/v1/metrics/workers', { schema: { tags: ['monitoring'], summary: 'Worker counts by status and type, and each worker', response: { 200: WorkersMetrics } } }, async (): Promise<WorkersMetrics> => {
    const workers = registry.list();
    const byStatus: Record<string, number> = {};
    const byType: Record<string, number> = {};
    for (const w of workers) {
      byStatus[w.status] = (byStatus[w.status] ?? 0) + 1;
      byType[w.workerType] = (byType[w.workerType] ?? 0) + 1;
    }
    return {
      total_workers: workers.length,
      by_status: byStatus,
      by_type: byType,
      workers: workers.map((w) => ({
        id: w.workerId,
        type: w.workerType,
        status: w.status,
        current_operation: w.currentOperationId,
        health_failures: w.healthCheckFailures,
      })),
    };
  });
};
