import { Type, type Static } from 'typebox';

/** Reply to a start request, from a worker and from the backend. */
export const StartResponse = Type.Object({
  success: Type.Boolean(),
  operation_id: Type.String(),
  status: Type.Literal('started'),
  worker_id: Type.String(),
});

/**
 * The backend's reply to a submission: `started` on a worker now, or `queued` until one is free
 * (with its 1-based `queue_position`).
 */
export const SubmitResponse = Type.Object({
  success: Type.Boolean(),
  operation_id: Type.String(),
  status: Type.Union([Type.Literal('started'), Type.Literal('queued')]),
  worker_id: Type.Union([Type.String(), Type.Null()]),
  queue_position: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  status_detail: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type SubmitResponse = Static<typeof SubmitResponse>;
export type StartResponse = Static<typeof StartResponse>;

/** 503 from a busy (or draining) worker. */
export const WorkerBusyBody = Type.Object({
  error: Type.String(),
  current_operation: Type.Union([Type.String(), Type.Null()]),
});
export type WorkerBusyBody = Static<typeof WorkerBusyBody>;

/** 503 from the backend when no worker of the type can take the operation. */
export const NoWorkersBody = Type.Object({
  error: Type.String(),
  worker_type: Type.String(),
  registered_workers: Type.Integer(),
  hint: Type.String(),
  operation_id: Type.Optional(Type.String()),
});
export type NoWorkersBody = Static<typeof NoWorkersBody>;

/** Error envelope of every other 4xx/5xx: `detail` is the human message, `code` a stable ErrorCode. */
export const ErrorBody = Type.Object({
  detail: Type.String(),
  code: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});
export type ErrorBody = Static<typeof ErrorBody>;
