/**
 * Job module for run-in-thread.test.ts: says which thread ran it and how many times this module
 * was evaluated in that thread; `mode` makes it fail, stop when cancelled, or ignore cancellation.
 */
import { threadId } from 'node:worker_threads';
import type { JobOutput, ThreadJobContext } from '../../src/worker-kit/job.js';

const g = globalThis as { __threadReuseLoads?: number };
g.__threadReuseLoads = (g.__threadReuseLoads ?? 0) + 1;

export interface ThreadReuseParams {
  mode?: 'ok' | 'fail' | 'wait-for-cancel' | 'ignore-cancel';
}

export async function run(params: ThreadReuseParams, ctx: ThreadJobContext): Promise<JobOutput> {
  ctx.progress({ percentage: 50 });
  if (params.mode === 'fail') {
    throw Object.assign(new RangeError('bad window'), { code: 'BAD_WINDOW' });
  }
  if (params.mode === 'wait-for-cancel') {
    while (!ctx.isCancelled()) await new Promise((r) => setTimeout(r, 5));
    ctx.throwIfCancelled();
  }
  if (params.mode === 'ignore-cancel') {
    // A synchronous loop that never looks at the flag: only terminate() ends it.
    for (;;) Math.sqrt(Math.random());
  }
  return { summary: { threadId, loads: g.__threadReuseLoads ?? 0 } };
}
