import type { JobOutput, ProgressUpdate } from './job.js';

/** Data a job thread starts with. */
export interface ThreadInput {
  module: string;
  operationId: string;
  params: unknown;
  settings: Record<string, unknown>;
  /** Int32Array[0] becomes 1 when the job is cancelled. */
  cancelFlag: SharedArrayBuffer;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** Messages from a job thread to the worker's HTTP thread. */
export type FromThread =
  | { kind: 'progress'; update: ProgressUpdate }
  | { kind: 'metric'; record: Record<string, unknown> }
  | { kind: 'log'; message: string; fields?: Record<string, unknown> }
  | { kind: 'done'; output: JobOutput }
  | { kind: 'cancelled'; message: string }
  | { kind: 'failed'; error: SerializedError };

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
