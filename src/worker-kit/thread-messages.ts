import type { JobOutput, ProgressUpdate } from './job.js';

/** One job for a job thread to run: the job module, its input, and the run's cancel flag. */
export interface RunRequest {
  kind: 'run';
  /** Tags every message the thread sends for this run, so a late one of an earlier run is ignored. */
  runId: number;
  module: string;
  operationId: string;
  params: unknown;
  settings: Record<string, unknown>;
  /** Int32Array[0] becomes 1 when the job is cancelled. */
  cancelFlag: SharedArrayBuffer;
}

/** Messages from the worker's HTTP thread to a job thread. */
export type ToThread = RunRequest;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** What a job thread reports about one run. */
export type ThreadReport =
  | { kind: 'progress'; update: ProgressUpdate }
  | { kind: 'metric'; record: Record<string, unknown> }
  | { kind: 'log'; message: string; fields?: Record<string, unknown> }
  | { kind: 'done'; output: JobOutput }
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
