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
});
export type WorkerHealthReport = Static<typeof WorkerHealthReport>;

/** The backend's own `GET /health`. */
export const BackendHealth = Type.Object({
  healthy: Type.Boolean(),
  service: Type.String(),
  timestamp: Type.String(),
  version: Type.String(),
});
