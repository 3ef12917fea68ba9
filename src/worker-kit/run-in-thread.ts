import { Worker } from 'node:worker_threads';
import { JobCancelledError, type JobOutput, type ProgressUpdate } from './job.js';
import { deserializeError, RUN_FLAG_CANCEL, RUN_FLAG_CODE_FINISHED, RUN_FLAGS_BYTES, type FromThread, type NextJob, type RunFinish, type RunRequest, type StartedHere } from './thread-messages.js';

/** How a run's messages reach the worker: progress, metrics and logs, and when to give up after a cancel. */
export interface RunCallbacks {
  signal: AbortSignal;
  onProgress(update: ProgressUpdate): void;
  onMetric(record: Record<string, unknown>): void;
  onLog(message: string, fields?: Record<string, unknown>): void;
  /** After cancellation, how long the job may take to notice before its thread is terminated. @defaultValue 2000 */
  cancelGraceMs?: number;
  /**
   * The thread started the job it held ahead (its operation id) when this run's code completed; the
   * worker follows it once this run's final report has its answer (RunResult.started).
   */
  onAheadStarted?(operationId: string): void;
}

export interface RunInThreadOptions extends RunCallbacks {
  operationId: string;
  settings: Record<string, unknown>;
  /** Lets the thread push the final report of a completed run itself (see RunFinish). */
  finish?: RunFinish;
}

/** How a run ended, when it completed. */
export interface RunResult {
  output: JobOutput;
  /**
   * Set when the job thread pushed the final report itself: the backend's answer. The output then
   * comes without its artifact (the backend has it, or wants none of this attempt).
   */
  reported?: 'accepted' | 'stale';
  /** With `reported`: the run produced an artifact (delivered by the job thread, never sent here). */
  hadArtifact?: boolean;
  /** The job the backend handed over in its reply. */
  next?: NextJob;
  /** That job already runs in the same thread: follow it with `attach` (always, even to cancel it). */
  started?: HandedOverRun;
  /**
   * `next` is the job this worker held ahead (prefetched), which the thread started when this run
   * completed; this run's final report claims it (the HTTP thread's push too, when it has to push it).
   */
  startedAhead?: boolean;
}

/** A handed-over job the job thread started on its own, until the worker follows it. */
export interface HandedOverRun {
  /** The body after the start route's validator, without task_id and attempt_id. */
  readonly params: Record<string, unknown>;
  /** Follows the run like runInThread would have; its messages until now were kept and are replayed. */
  attach(callbacks: RunCallbacks): ThreadRun;
}

/** A run being followed: how it ends, and whether its job code has finished already. */
export interface ThreadRun {
  result: Promise<RunResult>;
  /**
   * The job code returned or threw: what is left is its report (which the job thread may be
   * pushing to the backend itself right now). Shared memory, so it is true before any message.
   */
  codeFinished(): boolean;
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
  /** Runs followed on this thread: one, or for a moment two (a run and the job it started ahead). */
  readonly #runs = new Map<number, RunListener>();
  #dead = false;
  /** Workers whose hand-over targets this thread has (sent once, see RunFinish.targets). */
  readonly knowsTargetsOf = new Set<string>();
  /** Resolves once the thread has loaded the kit's thread side (its `ready` message), or died. */
  readonly ready: Promise<void>;

  constructor() {
    let ready!: () => void;
    this.ready = new Promise<void>((r) => (ready = r));
    this.#worker.on('message', (msg: FromThread | { kind: 'ready' }) => {
      if (msg.kind === 'ready') ready();
      else this.#runs.get(msg.runId)?.onReport(msg);
    });
    this.#worker.once('exit', () => ready());
    this.#worker.on('error', (err) => this.#died(err, undefined));
    this.#worker.on('exit', (code) => this.#died(undefined, code));
    // After the listeners: attaching a 'message' listener refs the thread's port again.
    this.#worker.unref();
  }

  get dead(): boolean {
    return this.#dead;
  }

  start(run: RunListener, request: RunRequest): void {
    this.listen(run);
    this.#worker.postMessage(request);
  }

  /** Follows a run going on this thread (also one it started itself), replacing who followed it so far. */
  listen(run: RunListener): void {
    this.#runs.set(run.runId, run);
    this.#worker.ref();
  }

  /** Detaches a finished run; with none left, the thread is idle. */
  release(runId: number): void {
    this.#runs.delete(runId);
    if (this.#runs.size === 0) this.#worker.unref();
  }

  terminate(): void {
    this.#dead = true;
    void this.#worker.terminate();
  }

  #died(err: Error | undefined, code: number | undefined): void {
    this.#dead = true;
    const i = idle.indexOf(this);
    if (i >= 0) idle.splice(i, 1);
    for (const run of [...this.#runs.values()]) run.onDeath(err, code);
  }
}

/** Threads waiting for their next run: at most as many as runs were ever in flight at once. */
const idle: JobThread[] = [];
let lastRunId = 0;

/**
 * Starts one more job thread for the idle pool and resolves once it is loaded (a few hundred ms on a
 * small machine: the kit's thread side imports the contracts and a schema validator). A worker calls
 * it at start, so that its first job does not wait for a thread.
 */
export function warmJobThread(): Promise<void> {
  const t = new JobThread();
  idle.push(t);
  return t.ready;
}

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
export async function runInThread(module: URL, params: unknown, opts: RunInThreadOptions): Promise<JobOutput> {
  return (await runJobInThread(module, params, opts).result).output;
}

/** runInThread, with how the run ended when the thread pushed its own final report (RunResult). */
export function runJobInThread(module: URL, params: unknown, opts: RunInThreadOptions): ThreadRun {
  if (opts.signal.aborted) return { result: Promise.reject(new JobCancelledError()), codeFinished: () => true };
  const cancelFlag = new SharedArrayBuffer(RUN_FLAGS_BYTES);
  const runId = ++lastRunId;
  const thread = acquire();
  let finish = opts.finish;
  if (finish && !thread.knowsTargetsOf.has(finish.workerId)) thread.knowsTargetsOf.add(finish.workerId);
  else if (finish) finish = { ...finish, targets: undefined };
  const request: RunRequest = { kind: 'run', runId, module: module.href, operationId: opts.operationId, params, settings: opts.settings, cancelFlag, ...(finish ? { finish } : {}) };
  return follow(thread, runId, cancelFlag, opts, (run) => thread.start(run, request));
}

/** Follows the run `runId` on `thread` until it ends; `begin` attaches the listener (and starts the run). */
function follow(thread: JobThread, runId: number, cancelFlag: SharedArrayBuffer, opts: RunCallbacks, begin: (run: RunListener) => void): ThreadRun {
  const flag = new Int32Array(cancelFlag);
  const codeFinished = () => Atomics.load(flag, RUN_FLAG_CODE_FINISHED) === 1;
  const result = new Promise<RunResult>((resolve, reject) => {
    let settled = false;
    /** The job the thread started ahead when this run's code completed (its `ahead-started`). */
    let ahead: { job: NextJob; run: HandedOverRun } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    /** `handedOff`: the thread goes on with a run it started itself; it is neither idle nor replaced. */
    const settle = (fn: () => void, handedOff = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      opts.signal.removeEventListener('abort', onAbort);
      thread.release(runId);
      if (ahead && !handedOff) {
        // This run failed after its thread started the job held ahead (should not happen): stop that
        // job; its own follower gives the thread back when it has stopped.
        const stop = new AbortController();
        stop.abort('not followed');
        void ahead.run.attach({ signal: stop.signal, onProgress: () => undefined, onMetric: () => undefined, onLog: () => undefined }).result.catch(() => undefined);
        handedOff = true;
      }
      if (handedOff) {
        // the thread goes on with the next run, which has its own listener
      } else {
        if (opts.signal.aborted) {
          if (!thread.dead) thread.terminate();
          idle.push(new JobThread());
        } else if (!thread.dead) {
          idle.push(thread);
        } // else: a dead thread is not reused; the next run starts a new one.
      }
      fn();
    };
    const onAbort = () => {
      Atomics.store(flag, RUN_FLAG_CANCEL, 1);
      killTimer = setTimeout(() => thread.terminate(), opts.cancelGraceMs ?? 2_000);
      killTimer.unref();
    };
    const onDeath = (err: Error | undefined, code: number | undefined) =>
      settle(() =>
        reject(opts.signal.aborted ? new JobCancelledError() : (err ?? new Error(`job thread exited with code ${code ?? 'unknown'} before finishing`))),
      );
    opts.signal.addEventListener('abort', onAbort, { once: true });
    begin({
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
          case 'ahead-started':
            ahead = { job: msg.job, run: handOff(thread, msg.started) };
            opts.onAheadStarted?.(msg.job.operation_id);
            break;
          case 'done':
            settle(() => resolve({ output: msg.output, ...(ahead ? { next: ahead.job, started: ahead.run, startedAhead: true } : {}) }), ahead !== undefined);
            break;
          case 'reported': {
            const started = msg.started ? handOff(thread, msg.started) : ahead?.run;
            const next = msg.next ?? ahead?.job;
            settle(
              () =>
                resolve({
                  output: msg.output,
                  reported: msg.answer,
                  hadArtifact: msg.hadArtifact,
                  ...(next ? { next } : {}),
                  ...(started ? { started } : {}),
                  ...(ahead ? { startedAhead: true } : {}),
                }),
              started !== undefined,
            );
            break;
          }
          case 'cancelled':
            settle(() => reject(new JobCancelledError(msg.message)));
            break;
          case 'failed':
            settle(() => reject(deserializeError(msg.error)));
            break;
        }
      },
      onDeath,
    });
    // Cancelled before the worker followed this run (a handed-over one): stop it now.
    if (opts.signal.aborted && !settled) onAbort();
  });
  return { result, codeFinished };
}

/**
 * The thread started the handed-over job itself. Until the worker attaches to it, its messages are
 * kept (and a death remembered), so none is lost between the two.
 */
function handOff(thread: JobThread, started: StartedHere): HandedOverRun {
  const kept: FromThread[] = [];
  let death: [Error | undefined, number | undefined] | undefined;
  let attached = false;
  thread.listen({ runId: started.runId, onReport: (m) => kept.push(m), onDeath: (err, code) => (death = [err, code]) });
  return {
    params: started.params,
    attach(callbacks) {
      if (attached) throw new Error(`run ${started.runId} is already followed`);
      attached = true;
      return follow(thread, started.runId, started.cancelFlag, callbacks, (run) => {
        thread.listen(run);
        for (const m of kept.splice(0)) run.onReport(m);
        if (death) run.onDeath(...death);
      });
    },
  };
}
