import { Worker } from 'node:worker_threads';
import { JobCancelledError, type JobOutput, type ProgressUpdate } from './job.js';
import { deserializeError, type FromThread, type ThreadInput } from './thread-messages.js';

export interface RunInThreadOptions {
  operationId: string;
  settings: Record<string, unknown>;
  signal: AbortSignal;
  onProgress(update: ProgressUpdate): void;
  onMetric(record: Record<string, unknown>): void;
  onLog(message: string, fields?: Record<string, unknown>): void;
  /** After cancellation, how long the job may take to notice before its thread is terminated. @defaultValue 2000 */
  cancelGraceMs?: number;
}

const entry = new URL('./thread-entry.js', import.meta.url);

/**
 * Runs a job module in a fresh worker thread. Resolves with the job's output; rejects with the
 * job's error rebuilt, or JobCancelledError once a cancelled job has stopped (cooperatively via the
 * shared flag, or by terminate() after the grace period, since a synchronous loop can't be interrupted).
 */
export function runInThread(module: URL, params: unknown, opts: RunInThreadOptions): Promise<JobOutput> {
  const cancelFlag = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancelFlag);
  const input: ThreadInput = { module: module.href, operationId: opts.operationId, params, settings: opts.settings, cancelFlag };
  return new Promise<JobOutput>((resolve, reject) => {
    if (opts.signal.aborted) {
      reject(new JobCancelledError());
      return;
    }
    const thread = new Worker(entry, { workerData: input });
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      opts.signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      Atomics.store(flag, 0, 1);
      killTimer = setTimeout(() => {
        void thread.terminate();
      }, opts.cancelGraceMs ?? 2_000);
      killTimer.unref();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    thread.on('message', (msg: FromThread) => {
      switch (msg.kind) {
        case 'progress':
          opts.onProgress(msg.update);
          break;
        case 'metric':
          opts.onMetric(msg.record);
          break;
        case 'log':
          opts.onLog(msg.message, msg.fields);
          break;
        case 'done':
          settle(() => resolve(msg.output));
          break;
        case 'cancelled':
          settle(() => reject(new JobCancelledError(msg.message)));
          break;
        case 'failed':
          settle(() => reject(deserializeError(msg.error)));
          break;
      }
    });
    thread.on('error', (err) => settle(() => reject(opts.signal.aborted ? new JobCancelledError() : err)));
    thread.on('exit', (code) =>
      settle(() =>
        reject(opts.signal.aborted ? new JobCancelledError() : new Error(`job thread exited with code ${code} before finishing`)),
      ),
    );
  });
}
