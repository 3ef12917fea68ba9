/**
 * Bootstrap of every job thread. A thread is long-lived: it waits for run requests, loads each
 * job module once (later runs reuse the import), runs its `run` export with a context wired to the
 * parent, and reports the outcome as one message tagged with the run's id. The parent sends the
 * next run only after the previous one settled. A run with `finish` that completes pushes its own
 * final report and may start the job the backend hands over right here (thread-finish.ts).
 */
import { parentPort } from 'node:worker_threads';
import { completedProgress, JobCancelledError, mergeProgress, startingProgress, type JobOutput, type ThreadJobContext } from './job.js';
import { transferables } from './artifact-wire.js';
import { loadJobModule, prepareHandOver, pushOwnReport, rememberTargets } from './thread-finish.js';
import { RUN_FLAG_CANCEL, RUN_FLAG_CODE_FINISHED, RUN_FLAGS_BYTES, serializeError, type FromThread, type RunFinish, type RunRequest, type ThreadReport, type ToThread } from './thread-messages.js';
import type { Progress } from '../contracts/index.js';

const port = parentPort!;
/** Runs this thread starts itself (handed over in a report reply) count down, so they never meet the HTTP thread's ids. */
let ownRunId = 0;

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
  let output: JobOutput;
  try {
    const mod = await loadJobModule(input.module);
    if (typeof mod.run !== 'function') throw new Error(`job module ${input.module} does not export run()`);
    output = await mod.run(input.params, ctx);
  } catch (err) {
    Atomics.store(flag, RUN_FLAG_CODE_FINISHED, 1);
    if (err instanceof JobCancelledError || ctx.isCancelled()) {
      post({ kind: 'cancelled', message: err instanceof Error ? err.message : 'Operation cancelled' });
    } else {
      post({ kind: 'failed', error: serializeError(err) });
    }
    return;
  }
  Atomics.store(flag, RUN_FLAG_CODE_FINISHED, 1);
  if (ctx.isCancelled()) {
    post({ kind: 'cancelled', message: 'Operation cancelled' });
    return;
  }
  try {
    await finishRun(input, output, finish && { finish, progress, metrics }, post);
  } catch (err) {
    post({ kind: 'failed', error: serializeError(err) }); // e.g. an output that cannot be cloned
  }
}

async function finishRun(
  input: RunRequest,
  output: JobOutput,
  own: { finish: RunFinish; progress: Progress; metrics: Record<string, unknown>[] } | undefined,
  post: (msg: ThreadReport, transfer?: ArrayBuffer[]) => void,
): Promise<void> {
  if (own) {
    const { finish, progress, metrics } = own;
    const reported = await pushOwnReport(input.operationId, finish, { progress: completedProgress(progress), metrics, output });
    if (reported.answer !== 'leave') {
      const { artifact, ...withoutArtifact } = output;
      const hadArtifact = artifact !== undefined;
      const next = reported.answer === 'accepted' ? reported.next : undefined;
      const prepared = next && (await prepareHandOver(next, finish, input.settings).catch(() => undefined));
      if (!next || !prepared) {
        post({ kind: 'reported', output: withoutArtifact, hadArtifact, answer: reported.answer, ...(next ? { next } : {}) });
        return;
      }
      const run: RunRequest = {
        kind: 'run',
        runId: --ownRunId,
        module: prepared.module,
        operationId: prepared.operationId,
        params: prepared.params,
        settings: input.settings,
        cancelFlag: new SharedArrayBuffer(RUN_FLAGS_BYTES),
        finish: prepared.finish,
      };
      // Not awaited: a chain of thousands of handed-over runs must not become a chain of promises.
      // runJob returns at its first await (the module lookup), before the job code runs, so the
      // HTTP thread still hears of the next run (below) before any message of it.
      void runJob(run);
      post({ kind: 'reported', output: withoutArtifact, hadArtifact, answer: 'accepted', next, started: { runId: run.runId, cancelFlag: run.cancelFlag, params: prepared.params } });
      return;
    }
  }
  // The artifact's byte buffers (a backtest's equity curve) are moved to the HTTP thread, not copied.
  post({ kind: 'done', output }, transferables(output.artifact));
}

port.on('message', (msg: ToThread) => {
  if (msg.kind === 'run') void runJob(msg);
});
// Loaded: the HTTP thread may count on this thread from now on (see warmJobThread).
port.postMessage({ kind: 'ready' });
