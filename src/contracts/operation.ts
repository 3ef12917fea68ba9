import { Type, type Static } from 'typebox';
import { boundedJson, LARGE_JSON, SMALL_JSON } from './bounded-json.js';

export const OperationStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('pending'),
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);
export type OperationStatus = Static<typeof OperationStatus>;
export const OPERATION_STATUSES: readonly OperationStatus[] = ['queued', 'pending', 'running', 'completed', 'failed', 'cancelled'];
export const TERMINAL_STATUSES: ReadonlySet<OperationStatus> = new Set(['completed', 'failed', 'cancelled']);
export function isTerminal(status: OperationStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Progress of a running operation. `percentage` is 0–100. */
export const Progress = Type.Object({
  percentage: Type.Number(),
  current_step: Type.Union([Type.String(), Type.Null()]),
  steps_completed: Type.Integer(),
  steps_total: Type.Integer(),
  items_processed: Type.Integer(),
  items_total: Type.Union([Type.Integer(), Type.Null()]),
  context: Type.Optional(Type.Record(Type.String(), Type.Unknown(), boundedJson(SMALL_JSON))),
});
export type Progress = Static<typeof Progress>;

export function emptyProgress(): Progress {
  return { percentage: 0, current_step: null, steps_completed: 0, steps_total: 0, items_processed: 0, items_total: null };
}

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const OperationMetadata = Type.Object({
  symbol: Type.Optional(NullableString),
  timeframe: Type.Optional(NullableString),
  start_date: Type.Optional(NullableString),
  end_date: Type.Optional(NullableString),
  parameters: Type.Record(Type.String(), Type.Unknown(), boundedJson(SMALL_JSON)),
});
export type OperationMetadata = Static<typeof OperationMetadata>;

/** How one dispatch attempt of an operation ended (`running` while it runs). */
export const AttemptOutcome = Type.Union([
  Type.Literal('offered'),
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
  Type.Literal('abandoned'),
  Type.Literal('lost'),
  Type.Literal('rejected'),
]);
export type AttemptOutcome = Static<typeof AttemptOutcome>;

/**
 * One try at running an operation on one worker. `attempt_id` is the fencing token: the worker
 * echoes it on every report, and the backend ignores (and cancels) reports of any attempt but the
 * operation's current one. Times come from the backend's clock.
 */
export const Attempt = Type.Object({
  attempt_id: Type.String(),
  worker_id: Type.String(),
  started_at: Type.String(),
  /** When the worker claimed it (before any job code ran); null if it never did. */
  claimed_at: Type.Optional(NullableString),
  ended_at: NullableString,
  outcome: AttemptOutcome,
  detail: Type.Optional(NullableString),
  /**
   * Given ahead (prefetched) to a worker busy with another job: its job thread starts it the moment
   * that job ends, unless the backend takes it back first for a worker that is free.
   */
  prefetched: Type.Optional(Type.Boolean()),
});
export type Attempt = Static<typeof Attempt>;

/**
 * An operation (or sweep) id in a URL: printable text of bounded length. Control characters (a
 * NUL byte, which PostgreSQL cannot even compare) can be in no id, so they are a 400, not a lookup.
 */
export const OperationIdParam = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });

/** The operation as the backend and the workers serve it. Timestamps are ISO-8601 UTC strings. */
export const Operation = Type.Object({
  operation_id: Type.String(),
  operation_type: Type.String(),
  status: OperationStatus,
  worker_id: NullableString,
  created_at: Type.String(),
  started_at: NullableString,
  completed_at: NullableString,
  progress: Progress,
  metadata: OperationMetadata,
  error_message: NullableString,
  result_summary: Type.Union([Type.Record(Type.String(), Type.Unknown(), boundedJson(LARGE_JSON)), Type.Null()]),
  /** What is going on that the status alone does not say (e.g. "worker unreachable since …"). */
  status_detail: Type.Optional(NullableString),
  /** Backend: every dispatch attempt, oldest first. */
  attempts: Type.Optional(Type.Array(Attempt)),
  /** Queue priority: higher runs first; FIFO within a priority. @defaultValue 0 */
  priority: Type.Optional(Type.Integer()),
  /** Attempts it gets before a lost worker fails it (re-queued until then). */
  max_attempts: Type.Optional(Type.Integer()),
  /** 1-based place in the queue of a `queued` operation. */
  queue_position: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  /** Worker: the attempt (fencing token) it runs this operation under. */
  attempt_id: Type.Optional(NullableString),
});
export type Operation = Static<typeof Operation>;

export const OperationEnvelope = Type.Object({ success: Type.Boolean(), data: Operation });
export type OperationEnvelope = Static<typeof OperationEnvelope>;

/** One row of `GET /api/v1/operations`. Same fields as Operation, minus the (possibly big) result. */
export const OperationSummary = Type.Omit(Operation, ['result_summary']);
export type OperationSummary = Static<typeof OperationSummary>;

export const OperationList = Type.Object({
  success: Type.Boolean(),
  data: Type.Array(OperationSummary),
  total_count: Type.Integer(),
  active_count: Type.Integer(),
});
export type OperationList = Static<typeof OperationList>;

export const OperationListQuery = Type.Object({
  status: Type.Optional(OperationStatus),
  operation_type: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  // Bounded: SQLite rejects integers past 2^63 (offset=1e20 was a 500).
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
  active_only: Type.Optional(Type.Boolean({ default: false })),
});
export type OperationListQuery = Static<typeof OperationListQuery>;

/** A metric record (e.g. one training epoch). Free-form object; its position is its cursor. */
export const MetricRecord = Type.Record(Type.String(), Type.Unknown(), boundedJson(SMALL_JSON));
export type MetricRecord = Static<typeof MetricRecord>;

export const MetricsResponse = Type.Object({
  success: Type.Boolean(),
  data: Type.Object({
    operation_id: Type.String(),
    metrics: Type.Array(MetricRecord),
    new_cursor: Type.Integer(),
  }),
});
export type MetricsResponse = Static<typeof MetricsResponse>;

export const CancelRequest = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) });
export type CancelRequest = Static<typeof CancelRequest>;

export const CancelResponse = Type.Object({
  success: Type.Boolean(),
  data: Type.Object({
    operation_id: Type.String(),
    status: OperationStatus,
    cancelled_at: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
  }),
});
export type CancelResponse = Static<typeof CancelResponse>;

/**
 * `POST /api/v1/operations/{id}/report`: a worker's word about one attempt: its claim (`running`,
 * sent before any job code runs) or its final state, pushed when the job ends and retried until
 * the backend acknowledges it. `attempt_id` is the fencing token the backend handed out.
 */
export const OperationReport = Type.Object(
  {
    attempt_id: Type.String({ minLength: 1, maxLength: 100 }),
    worker_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    status: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')]),
    progress: Type.Optional(Progress),
    error_message: Type.Optional(NullableString),
    result_summary: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
    metrics: Type.Optional(Type.Array(MetricRecord)),
    artifact: Type.Optional(Type.Unknown()),
    /** With a final state: the worker is idle and takes the next queued job in the reply. */
    accepting_work: Type.Optional(Type.Boolean()),
    /**
     * With a final state: the worker's job thread can hold one more job (the reply's `prefetch`),
     * to start the moment its next (or already started) job ends.
     */
    prefetch: Type.Optional(Type.Boolean()),
    /**
     * With a final state: the job the reply to an earlier report gave ahead (`prefetch`), which the
     * job thread started when this one ended. This is its claim, as a `running` report would be.
     */
    prefetched: Type.Optional(Type.Object({ operation_id: Type.String({ minLength: 1, maxLength: 200 }), attempt_id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type OperationReport = Static<typeof OperationReport>;

/** A queued job handed to a worker in a report reply: the worker's own start path and request body (task_id and attempt_id included). */
const HandedOverJob = Type.Object({
  operation_id: Type.String(),
  attempt_id: Type.String(),
  path: Type.String(),
  body: Type.Record(Type.String(), Type.Unknown()),
});

/** Reply to a report: `accepted` false means the attempt is stale and the worker must stop it. */
export const OperationReportReply = Type.Object({
  accepted: Type.Boolean(),
  status: OperationStatus,
  detail: Type.Optional(Type.String()),
  /**
   * The next queued job for this worker, already assigned and claimed (a new attempt): the worker
   * starts it at once, which saves the start request and the claim between two queued jobs.
   */
  next: Type.Optional(HandedOverJob),
  /**
   * A queued job given ahead to this busy worker (its attempt opened, not claimed): the job thread
   * starts it the moment its current job ends and claims it in that job's final report (`prefetched`),
   * unless the backend took it back meanwhile for a free worker (worker route
   * `POST /api/v1/prefetch/revoke`, atomic against the start).
   */
  prefetch: Type.Optional(HandedOverJob),
});
export type OperationReportReply = Static<typeof OperationReportReply>;

/** `POST /api/v1/prefetch/revoke` on a worker: the backend takes back a job it gave ahead (see OperationReportReply.prefetch). */
export const PrefetchRevokeRequest = Type.Object(
  { operation_id: Type.String({ minLength: 1, maxLength: 200 }), attempt_id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export type PrefetchRevokeRequest = Static<typeof PrefetchRevokeRequest>;

/**
 * `revoked`: the worker will never start that attempt (it still held it, or it has not received it
 * and will refuse it when it does). `started`: its job thread started it already (its claim is on
 * the way, in the final report of the job before it).
 */
export const PrefetchRevokeReply = Type.Object({ outcome: Type.Union([Type.Literal('revoked'), Type.Literal('started')]) });
export type PrefetchRevokeReply = Static<typeof PrefetchRevokeReply>;
