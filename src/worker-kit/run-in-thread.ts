import { Worker } from 'node:worker_threads';
import { JobCancelledError, type JobOutput, type ProgressUpdate } from './job.js';
import { deserializeError, type FromThread, type RunRequest } from './thread-messages.js';

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

/** What one run listens for on the thread it borrowed. */
interface RunListener {
  runId: number;
  onReport(msg: FromThread): void;
  /** The thread died (uncaught error, or exit) while this run was on it. */
  onDeath(err: Error | undefined, exitCode: number | undefined): void;
}

/**
 * A long-lived job thread. Job modules are imported once per thread; between runs the thread is
 * idle and unref'd, so it never keeps the process alive.
 */
class JobThread {
  readonly #worker = new Worker(entry);
  #run: RunListener | undefined;
  #dead = false;

  constructor() {
    this.#worker.unref();
    this.#worker.on('message', (msg: FromThread) => {
      if (this.#run?.runId === msg.runId) this.#run.onReport(msg);
    });
    this.#worker.on('error', (err) => this.#died(err, undefined));
    this.#worker.on('exit', (code) => this.#died(undefined, code));
  }

  get dead(): boolean {
    return this.#dead;
  }

  start(run: RunListener, request: RunRequest): void {
    this.#run = run;
    this.#worker.ref();
    this.#worker.postMessage(request);
  }

  /** Detaches the finished run; the thread is idle from here on. */
  release(): void {
    this.#run = undefined;
    this.#worker.unref();
  }

  terminate(): void {
    this.#dead = true;
    void this.#worker.terminate();
  }

  #died(err: Error | undefined, code: number | undefined): void {
    this.#dead = true;
    const i = idle.indexOf(this);
    if (i >= 0) idle.splice(i, 1);
    this.#run?.onDeath(err, code);
  }
}

/** Threads waiting for their next run: at most as many as runs were ever in flight at once. */
const idle: JobThread[] = [];
let lastRunId = 0;

function acquire(): JobThread {
  for (let t = idle.pop(); t; t = idle.pop()) if (!t.dead) return t;
  return new JobThread();
}

/**
 * Runs a job module in a worker thread: an idle long-lived one when there is one (its modules are
 * already imported), else a new one. Resolves with the job's output; rejects with the job's error
 * rebuilt, or JobCancelledError once a cancelled job has stopped (cooperatively via the shared flag,
 * or by terminate() after the grace period, since a synchronous loop can't be interrupted). A thread
 * whose job was cancelled is terminated (whatever the job left running dies with it) and replaced
 * by a fresh idle one; a thread that died is not reused.
 */
export function runInThread(module: URL, params: unknown, opts: RunInThreadOptions): Promise<JobOutput> {
  const cancelFlag = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancelFlag);
  const runId = ++lastRunId;
  const request: RunRequest = { kind: 'run', runId, module: module.href, operationId: opts.operationId, params, settings: opts.settings, cancelFlag };
  return new Promise<JobOutput>((resolve, reject) => {
    if (opts.signal.aborted) {
      reject(new JobCancelledError());
      return;
    }
    const thread = acquire();
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      opts.signal.removeEventListener('abort', onAbort);
      thread.release();
      if (opts.signal.aborted) {
        if (!thread.dead) thread.terminate();
        idle.push(new JobThread());
      } else if (!thread.dead) {
        idle.push(thread);
      } // else: a dead thread is not reused; the next run starts a new one.
      fn();
    };
    const onAbort = () => {
      Atomics.store(flag, 0, 1);
      killTimer = setTimeout(() => thread.terminate(), opts.cancelGraceMs ?? 2_000);
      killTimer.unref();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    thread.start(
      {
        runId,
        onReport(msg) {
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
        },
        onDeath(err, code) {
          settle(() =>
            reject(
              opts.signal.aborted
                ? new JobCancelledError()
                : (err ?? new Error(`job thread exited with code ${code ?? 'unknown'} before finishing`)),
            ),
          );
        },
      },
      request,
    );
  });
}
