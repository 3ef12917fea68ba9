import { Type, type Static } from 'typebox';

/** What a worker does right now, as its `/health` tells it. `draining` = shutting down, takes no new work. */
export const WorkerActivity = Type.Union([Type.Literal('idle'), Type.Literal('busy'), Type.Literal('draining')]);
export type WorkerActivity = Static<typeof WorkerActivity>;

/** A worker's `GET /health` reply, exactly these fields. */
export const WorkerHealthReport = Type.Object({
  healthy: Type.Boolean(),
  service: Type.String(),
  timestamp: Type.String(),
  status: Type.Literal('operational'),
  worker_status: WorkerActivity,
  current_operation: Type.Union([Type.String(), Type.Null()]),
  /** The attempt id (fencing token) of current_operation. */
  current_attempt_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type WorkerHealthReport = Static<typeof WorkerHealthReport>;

/** The backend's own `GET /health`. */
export const BackendHealth = Type.Object({
  healthy: Type.Boolean(),
  service: Type.String(),
  timestamp: Type.String(),
  version: Type.String(),
});

/** Response headers by which a worker names itself on `/health` (identity checks at registration). */
export const WORKER_ID_HEADER = 'x-ktrdr-worker-id';
export const BOOT_ID_HEADER = 'x-ktrdr-boot-id';
