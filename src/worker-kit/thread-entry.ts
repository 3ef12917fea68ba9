/**
 * Bootstrap of every job thread. A thread is long-lived: it waits for run requests, loads each
 * job module once (later runs reuse the import), runs its `run` export with a context wired to the
 * parent, and reports the outcome as one message tagged with the run's id. The parent sends the
 * next run only after the previous one settled. A run with `finish` that completes pushes its own
 * final report and may start the job the backend hands over right here (thread-finish.ts). While
 * a run it started itself goes on, the thread may hold one job given ahead (prefetch-slot.ts): it
 * starts that one the moment the run's code completes, before the run's final report (which
 * claims it) goes out.
 */
import { parentPort } from 'node:worker_threads';
import { completedProgress, JobCancelledError, mergeProgress, startingProgress, type JobOutput, type ThreadJobContext } from './job.js';
import { transferables } from './artifact-wire.js';
import { loadJobModule, prepareHandOver, pushOwnReport, rememberTargets, type OwnReport } from './thread-finish.js';
import { PrefetchSlot } from './prefetch-slot.js';
import { RUN_FLAG_CANCEL, RUN_FLAG_CODE_FINISHED, RUN_FLAGS_BYTES, serializeError, type FromThread, type NextJob, type RunFinish, type RunRequest, type ThreadReport, type ToThread } from './thread-messages.js';
import type { Progress } from '../contracts/index.js';

const port = parentPort!;
/** Runs this thread starts itself (handed over in a report reply) count down, so they never meet the HTTP thread's ids. */
let ownRunId = 0;
/** The job this thread holds ahead (prefetched) for after the run going on, in its worker's slot. */
let held: { job: NextJob; slot: PrefetchSlot } | undefined;
/** Settles once the last final report this thread sent has its answer and what that answer gave is held: a run started ahead ends only after it (that report claims the run). */
let reporting: Promise<void> = Promise.resolve();

/** Gives the job held ahead back (the run did not complete, or cannot start it): the backend re-queues it on this run's final report. */
function releaseHeld(): void {
  const h = held;
  held = undefined;
  h?.slot.release(h.job.attempt_id);
}

/** Holds the job a reply gave ahead, unless the backend revoked it before it arrived. */
function hold(job: NextJob | undefined, slot: PrefetchSlot): void {
  if (job && slot.hold(job.attempt_id)) held = { job, slot };
}

async function runJob(input: RunRequest): Promise<void> {
  const flag = new Int32Array(input.cancelFlag);
  const post = (msg: ThreadReport, transfer: ArrayBuffer[] = []) => port.postMessage({ ...msg, runId: input.runId } satisfies FromThread, transfer);
  // What the final report carries, kept here only when this thread may push it itself.
  const finish = input.finish;
  if (finish) rememberTargets(finish);
  let progress = startingProgress();
  const metrics: Record<string, unknown>[] = [];
  const ctx: ThreadJobContext = {
    operationId: input.operationId,
    settings: input.settings,
    isCancelled: () => Atomics.load(flag, RUN_FLAG_CANCEL) === 1,
    throwIfCancelled() {
      if (Atomics.load(flag, RUN_FLAG_CANCEL) === 1) throw new JobCancelledError();
    },
    progress(update) {
      if (finish) progress = mergeProgress(progress, update);
      post({ kind: 'progress', update });
    },
    metric(record) {
      if (finish) metrics.push(record);
      post({ kind: 'metric', record });
    },
    log: (message, fields) => post({ kind: 'log', message, fields }),
  };
  /** A run that does not complete starts nothing ahead; its end waits for the report that claimed it. */
  const endWithout = async (msg: ThreadReport) => {
    await reporting;
    releaseHeld();
    post(msg);
  };
  let output: JobOutput;
  try {
    const mod = await loadJobModule(input.module);
    if (typeof mod.run !== 'function') throw new Error(`job module ${input.module} does not export run()`);
    output = await mod.run(input.params, ctx);
  } catch (err) {
    Atomics.store(flag, RUN_FLAG_CODE_FINISHED, 1);
    if (err instanceof JobCancelledError || ctx.isCancelled()) {
      await endWithout({ kind: 'cancelled', message: err instanceof Error ? err.message : 'Operation cancelled' });
    } else {
      await endWithout({ kind: 'failed', error: serializeError(err) });
    }
    return;
  }
  Atomics.store(flag, RUN_FLAG_CODE_FINISHED, 1);
  if (ctx.isCancelled()) {
    await endWithout({ kind: 'cancelled', message: 'Operation cancelled' });
    return;
  }
  try {
    await finishRun(input, output, finish && { finish, progress, metrics, cancelled: ctx.isCancelled }, post);
  } catch (err) {
    releaseHeld();
    post({ kind: 'failed', error: serializeError(err) }); // e.g. an output that cannot be cloned
  }
}

/** A run this thread starts itself: a job handed over in a report reply, or the one held ahead. */
function ownRun(input: RunRequest, prepared: NonNullable<Awaited<ReturnType<typeof prepareHandOver>>>): RunRequest {
  return {
    kind: 'run',
    runId: --ownRunId,
    module: prepared.module,
    operationId: prepared.operationId,
    params: prepared.params,
    settings: input.settings,
    cancelFlag: new SharedArrayBuffer(RUN_FLAGS_BYTES),
    finish: prepared.finish,
  };
}

async function finishRun(
  input: RunRequest,
  output: JobOutput,
  own: { finish: RunFinish; progress: Progress; metrics: Record<string, unknown>[]; cancelled: () => boolean } | undefined,
  post: (msg: ThreadReport, transfer?: ArrayBuffer[]) => void,
): Promise<void> {
  if (!own) {
    releaseHeld();
    // The artifact's byte buffers (a backtest's equity curve) are moved to the HTTP thread, not copied.
    post({ kind: 'done', output }, transferables(output.artifact));
    return;
  }
  const { finish, progress, metrics } = own;
  await reporting;
  const slot = new PrefetchSlot(finish.prefetchSlot);
  // The job held ahead starts now, before this run's report goes out (which claims it), unless
  // the backend took it back, the worker stopped taking work, or this thread cannot start it.
  let ahead: { job: NextJob; run: RunRequest } | undefined;
  const h = held;
  held = undefined;
  if (h) {
    const prepared = !own.cancelled() && (await prepareHandOver(h.job, finish, input.settings).catch(() => undefined));
    if (prepared && h.slot.take(h.job.attempt_id)) ahead = { job: h.job, run: ownRun(input, prepared) };
    else h.slot.release(h.job.attempt_id);
  }
  let answered!: () => void;
  reporting = new Promise<void>((r) => (answered = r));
  if (ahead) {
    const { run } = ahead;
    post({ kind: 'ahead-started', job: ahead.job, started: { runId: run.runId, cancelFlag: run.cancelFlag, params: run.params as Record<string, unknown> } });
    void runJob(run);
  }
  let reported: OwnReport;
  try {
    reported = await pushOwnReport(input.operationId, finish, { progress: completedProgress(progress), metrics, output }, ahead?.job);
  } catch (err) {
    answered();
    throw err;
  }
  if (reported.answer === 'leave') {
    answered();
    // The HTTP thread pushes it, with retries (and with the claim of the job started ahead).
    post({ kind: 'done', output }, transferables(output.artifact));
    return;
  }
  const { artifact, ...withoutArtifact } = output;
  const hadArtifact = artifact !== undefined;
  if (ahead) {
    hold(reported.prefetch, slot);
    answered();
    post({ kind: 'reported', output: withoutArtifact, hadArtifact, answer: reported.answer });
    return;
  }
  const next = reported.answer === 'accepted' ? reported.next : undefined;
  const prepared = next && (await prepareHandOver(next, finish, input.settings).catch(() => undefined));
  if (!next || !prepared) {
    answered();
    post({ kind: 'reported', output: withoutArtifact, hadArtifact, answer: reported.answer, ...(next ? { next } : {}) });
    return;
  }
  const run = ownRun(input, prepared);
  // Held only by a thread that runs a job of its own: its end is where the held job starts.
  hold(reported.prefetch, slot);
  answered();
  // Not awaited: a chain of thousands of handed-over runs must not become a chain of promises.
  // runJob returns at its first await (the module lookup), before the job code runs, so the
  // HTTP thread still hears of the next run (below) before any message of it.
  void runJob(run);
  post({ kind: 'reported', output: withoutArtifact, hadArtifact, answer: 'accepted', next, started: { runId: run.runId, cancelFlag: run.cancelFlag, params: prepared.params } });
}

port.on('message', (msg: ToThread) => {
  if (msg.kind === 'run') void runJob(msg);
});
// Loaded: the HTTP thread may count on this thread from now on (see warmJobThread).
port.postMessage({ kind: 'ready' });
