/**
 * Bootstrap of every job thread. A thread is long-lived: it waits for run requests, loads each
 * job module once (later runs reuse the import), runs its `run` export with a context wired to the
 * parent, and reports the outcome as one message tagged with the run's id. The parent sends the
 * next run only after the previous one settled.
 */
import { parentPort } from 'node:worker_threads';
import { JobCancelledError, type ThreadJobContext, type ThreadJobFn } from './job.js';
import { transferables } from './artifact-wire.js';
import { serializeError, type FromThread, type RunRequest, type ThreadReport, type ToThread } from './thread-messages.js';

const port = parentPort!;

async function runJob(input: RunRequest): Promise<void> {
  const flag = new Int32Array(input.cancelFlag);
  const post = (msg: ThreadReport, transfer: ArrayBuffer[] = []) => port.postMessage({ ...msg, runId: input.runId } satisfies FromThread, transfer);
  const ctx: ThreadJobContext = {
    operationId: input.operationId,
    settings: input.settings,
    isCancelled: () => Atomics.load(flag, 0) === 1,
    throwIfCancelled() {
      if (Atomics.load(flag, 0) === 1) throw new JobCancelledError();
    },
    progress: (update) => post({ kind: 'progress', update }),
    metric: (record) => post({ kind: 'metric', record }),
    log: (message, fields) => post({ kind: 'log', message, fields }),
  };
  try {
    const mod = (await import(input.module)) as { run?: ThreadJobFn };
    if (typeof mod.run !== 'function') throw new Error(`job module ${input.module} does not export run()`);
    const output = await mod.run(input.params, ctx);
    if (ctx.isCancelled()) post({ kind: 'cancelled', message: 'Operation cancelled' });
    // The artifact's byte buffers (a backtest's equity curve) are moved to the HTTP thread, not copied.
    else post({ kind: 'done', output }, transferables(output.artifact));
  } catch (err) {
    if (err instanceof JobCancelledError || ctx.isCancelled()) {
      post({ kind: 'cancelled', message: err instanceof Error ? err.message : 'Operation cancelled' });
    } else {
      post({ kind: 'failed', error: serializeError(err) });
    }
  }
}

port.on('message', (msg: ToThread) => {
  if (msg.kind === 'run') void runJob(msg);
});
