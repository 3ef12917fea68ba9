import type { Static, TSchema } from 'typebox';
import { emptyProgress, type OperationMetadata, type Progress } from '../contracts/index.js';

/** A partial progress update; omitted fields keep their previous value. */
export type ProgressUpdate = Partial<Omit<Progress, 'context'>> & { context?: Record<string, unknown> };

/** A run's progress before its first update. */
export const startingProgress = (): Progress => ({ ...emptyProgress(), current_step: 'Starting' });

/** Applies an update: omitted fields stay, `context` is merged, the percentage is clamped to 0–100. */
export function mergeProgress(prev: Progress, update: ProgressUpdate): Progress {
  const { context, ...rest } = update;
  const merged = { ...prev, ...rest };
  if (context !== undefined) merged.context = { ...(prev.context ?? {}), ...context };
  merged.percentage = Math.max(0, Math.min(100, merged.percentage));
  return merged;
}

/** A completed run's last progress. */
export const completedProgress = (prev: Progress): Progress => ({ ...prev, percentage: 100, current_step: 'Completed' });

/** What a job returns: the summary stored on the operation and, optionally, a full result artifact. */
export interface JobOutput {
  summary: Record<string, unknown>;
  /**
   * The full result. Top-level `Uint8Array` fields that own their buffer (a series frame, see
   * contracts/series-frame.ts) are moved out of the job thread without a copy and travel to the
   * backend as base64, which stores them as files.
   */
  artifact?: unknown;
}

/**
 * What a job sees inside its worker thread. Synchronous loops call `isCancelled()` (a shared-memory
 * flag, no event loop needed) or `throwIfCancelled()` every so often.
 */
export interface ThreadJobContext {
  readonly operationId: string;
  /** Settings the worker passes to every job (data/models/strategies dirs, …). */
  readonly settings: Readonly<Record<string, unknown>>;
  isCancelled(): boolean;
  /** Throws JobCancelledError when cancellation was requested. */
  throwIfCancelled(): void;
  progress(update: ProgressUpdate): void;
  /** Appends a metric record (e.g. one training epoch) to the operation's metrics. */
  metric(record: Record<string, unknown>): void;
  log(message: string, fields?: Record<string, unknown>): void;
}

/** The function a job module exports as `run`; it runs in a worker thread. */
export type ThreadJobFn<P = unknown> = (params: P, ctx: ThreadJobContext) => Promise<JobOutput> | JobOutput;

/**
 * One kind of work a worker accepts at `POST /{domain}/start`. The job body runs in a worker
 * thread loaded from `module` (compiled JS that exports `run`), so the HTTP thread stays responsive.
 */
export interface JobDefinition<S extends TSchema = TSchema> {
  /** Route segment: `backtests` → `POST /backtests/start`. */
  domain: string;
  /** operation_type of the operations it creates, e.g. `backtesting`. */
  operationType: string;
  /** Schema of the start request body (`task_id` is added by the kit). */
  params: S;
  /** URL of the thread module that exports `run(params, ctx)`. */
  module: URL;
  /** Metadata shown on the operation (symbol, timeframe, dates, parameters). */
  describe?(params: Static<S>): OperationMetadata;
  /**
   * Runs on the HTTP thread before the job is accepted: cheap checks (files exist, …) that
   * should give the caller a 400 rather than a failed operation. Throw InvalidRequestError.
   */
  validate?(params: Static<S>, settings: Readonly<Record<string, unknown>>): void | Promise<void>;
}

export class JobCancelledError extends Error {
  readonly code = 'JOB_CANCELLED';
  constructor(message = 'Operation cancelled') {
    super(message);
    this.name = 'JobCancelledError';
  }
}

/** Identity helper that keeps the params type of a job definition. */
export function defineJob<S extends TSchema>(def: JobDefinition<S>): JobDefinition<S> {
  return def;
}
