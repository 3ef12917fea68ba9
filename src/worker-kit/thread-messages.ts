import type { JobOutput, ProgressUpdate } from './job.js';

/**
 * How a job thread ends a completed run on its own, without a hop through the HTTP thread: it pushes
 * the final report to the backend itself, and when the reply hands over the next job it can start
 * here (no validate hook it cannot run, a valid body, the worker still accepting work), it starts it
 * at once in the same thread. The HTTP thread learns about both afterwards. Anything else (a report
 * the backend did not take, a failed or cancelled run, a hand-over the thread cannot start) goes the
 * HTTP thread's way, as without this.
 */
export interface RunFinish {
  /** Key of the worker this run belongs to: the thread caches that worker's hand-over targets under it. */
  workerId: string;
  attemptId: string;
  /** Backend base URL (`…` of `…/api/v1/operations/{id}/report`). */
  apiUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Int32Array[0] is 1 while the worker takes new work; the HTTP thread sets 0 when it drains or closes. */
  accepting: SharedArrayBuffer;
  /** The worker's start routes, sent with its first run on a thread (the thread keeps them per worker). */
  targets?: HandOverTarget[];
  /** The worker's prefetch slot (PrefetchSlot): the job held ahead, shared with the HTTP thread, which may revoke it. */
  prefetchSlot: SharedArrayBuffer;
}

/** A start route of the worker, as a job thread needs it to start a handed-over job. */
export interface HandOverTarget {
  /** `/backtests/start` */
  path: string;
  /** The job's thread module (href). */
  module: string;
  /** The start route's body schema (plain JSON Schema: task_id and attempt_id included). */
  schema: Record<string, unknown>;
  /**
   * The job has a validate hook. The thread runs it when the job's thread module exports the job
   * definition as `definition`; otherwise the hand-over goes to the HTTP thread, which runs it.
   */
  hasValidate: boolean;
}

/** One job for a job thread to run: the job module, its input, and the run's cancel flag. */
export interface RunRequest {
  kind: 'run';
  /** Tags every message the thread sends for this run, so a late one of an earlier run is ignored. */
  runId: number;
  module: string;
  operationId: string;
  params: unknown;
  settings: Record<string, unknown>;
  /** The run's flags (Int32Array): RUN_FLAG_CANCEL, set by the HTTP thread; RUN_FLAG_CODE_FINISHED, set by the job thread. */
  cancelFlag: SharedArrayBuffer;
  finish?: RunFinish;
}

/** Index in a run's flags: 1 once the job is cancelled. */
export const RUN_FLAG_CANCEL = 0;
/** Index in a run's flags: 1 once the job code has returned or thrown (its report is on its way). */
export const RUN_FLAG_CODE_FINISHED = 1;
export const RUN_FLAGS_BYTES = 8;

/** Messages from the worker's HTTP thread to a job thread. */
export type ToThread = RunRequest;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** A queued job the backend handed over in its reply to a final report. */
export interface NextJob {
  operation_id: string;
  attempt_id: string;
  /** The worker's own start path, e.g. `/backtests/start`. */
  path: string;
  body: Record<string, unknown>;
}

/** The handed-over job the thread started itself: its run (ids tag its messages) and validated params. */
export interface StartedHere {
  runId: number;
  cancelFlag: SharedArrayBuffer;
  /** The request body after the start route's validator (defaults filled), without task_id and attempt_id. */
  params: Record<string, unknown>;
}

/** What a job thread reports about one run. */
export type ThreadReport =
  | { kind: 'progress'; update: ProgressUpdate }
  | { kind: 'metric'; record: Record<string, unknown> }
  | { kind: 'log'; message: string; fields?: Record<string, unknown> }
  | { kind: 'done'; output: JobOutput }
  /**
   * Completed, and the thread pushed the final report itself: the backend `accepted` it or called
   * the attempt `stale` (either way the artifact is not kept: `output` comes without it). `next` is
   * the job the reply handed over; `started` when it already runs in this thread.
   */
  | { kind: 'reported'; output: JobOutput; hadArtifact: boolean; answer: 'accepted' | 'stale'; next?: NextJob; started?: StartedHere }
  /**
   * The run's job code completed and the thread started the job it held ahead (prefetched) at once,
   * before this run's final report went out (that report claims it). Sent before any message of the
   * new run; this run's own end (`reported`, or `done` when the HTTP thread must push its report)
   * follows.
   */
  | { kind: 'ahead-started'; job: NextJob; started: StartedHere }
  | { kind: 'cancelled'; message: string }
  | { kind: 'failed'; error: SerializedError };

/** Messages from a job thread to the worker's HTTP thread: a report of the run `runId`. */
export type FromThread = ThreadReport & { runId: number };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, stack: err.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: typeof err === 'string' ? err : JSON.stringify(err) };
}

export function deserializeError(e: SerializedError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  if (e.code) (err as Error & { code?: string }).code = e.code;
  return err;
}
