import { Type, type Static } from 'typebox';
import { boundedJson, SMALL_JSON } from './bounded-json.js';

/** Kinds of worker the backend can dispatch to. */
export const WorkerType = Type.Union([Type.Literal('backtesting'), Type.Literal('training')]);
export type WorkerType = Static<typeof WorkerType>;
export const WORKER_TYPES: readonly WorkerType[] = ['backtesting', 'training'];

/** Worker availability as the backend sees it (lowercase on the wire). */
export const WorkerStatus = Type.Union([
  Type.Literal('available'),
  Type.Literal('busy'),
  Type.Literal('temporarily_unavailable'),
]);
export type WorkerStatus = Static<typeof WorkerStatus>;
export const WORKER_STATUSES: readonly WorkerStatus[] = ['available', 'busy', 'temporarily_unavailable'];

/**
 * What a worker offers: `{gpu, gpu_type, gpu_count, gpu_memory_gb, cores, memory_gb}` for training
 * workers; any extra keys are kept and may be used as selection constraints.
 */
export const WorkerCapabilities = Type.Record(Type.String(), Type.Unknown(), boundedJson(SMALL_JSON));
export type WorkerCapabilities = Static<typeof WorkerCapabilities>;

/** `POST /api/v1/workers/register` body. `worker_type` is validated against the types the backend serves. */
export const RegisterWorkerRequest = Type.Object(
  {
    worker_id: Type.String({ minLength: 1, maxLength: 200 }),
    worker_type: Type.String({ minLength: 1 }),
    endpoint_url: Type.String({ minLength: 1, pattern: '^https?://[^\\s/]+' }),
    capabilities: Type.Optional(WorkerCapabilities),
    current_operation_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    /** Attempt id (fencing token) of current_operation_id. */
    current_attempt_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    /** Random per process start: a new boot id for a known worker_id means it restarted (not a healed partition). */
    boot_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), boundedJson(SMALL_JSON))),
  },
  { additionalProperties: false },
);
export type RegisterWorkerRequest = Static<typeof RegisterWorkerRequest>;

/** A registered worker as listed by `GET /api/v1/workers`. Timestamps are ISO-8601 UTC. */
export const WorkerInfo = Type.Object({
  worker_id: Type.String(),
  worker_type: Type.String(),
  endpoint_url: Type.String(),
  status: WorkerStatus,
  current_operation_id: Type.Union([Type.String(), Type.Null()]),
  capabilities: WorkerCapabilities,
  last_health_check: Type.Union([Type.String(), Type.Null()]),
  last_healthy_at: Type.Union([Type.String(), Type.Null()]),
  health_check_failures: Type.Integer(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
});
export type WorkerInfo = Static<typeof WorkerInfo>;

export const StatusCounts = Type.Object({
  available: Type.Integer(),
  busy: Type.Integer(),
  temporarily_unavailable: Type.Integer(),
});
export type StatusCounts = Static<typeof StatusCounts>;

/** `GET /api/v1/workers/health`. */
export const WorkersHealthSummary = Type.Object({
  total_workers: Type.Integer(),
  available: Type.Integer(),
  busy: Type.Integer(),
  temporarily_unavailable: Type.Integer(),
  by_type: Type.Record(Type.String(), StatusCounts),
});
export type WorkersHealthSummary = Static<typeof WorkersHealthSummary>;

/** `POST /api/v1/workers/register` reply. */
export const RegisterWorkerResponse = Type.Object({
  success: Type.Boolean(),
  worker: WorkerInfo,
});
export type RegisterWorkerResponse = Static<typeof RegisterWorkerResponse>;
