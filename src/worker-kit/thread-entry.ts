/**
 * Bootstrap of every job thread: loads the job module named in workerData, runs its `run` export
 * with a context wired to the parent, and reports the outcome as one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JobCancelledError, type ThreadJobContext, type ThreadJobFn } from './job.js';
import { serializeError, type FromThread, type ThreadInput } from './thread-messages.js';

const input = workerData as ThreadInput;
const port = parentPort!;
const flag = new Int32Array(input.cancelFlag);
const post = (msg: FromThread) => port.postMessage(msg);

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
  else post({ kind: 'done', output });
} catch (err) {
  if (err instanceof JobCancelledError || ctx.isCancelled()) {
    post({ kind: 'cancelled', message: err instanceof Error ? err.message : 'Operation cancelled' });
  } else {
    post({ kind: 'failed', error: serializeError(err) });
  }
}
