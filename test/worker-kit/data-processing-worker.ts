/**
 * A whole new worker type in one short file (the seeds' DataProcessingWorker idea): a job
 * definition, its thread body, and the backend route that dispatches to it.
 */
import { Type } from 'typebox';
import type { StartRouteSpec } from '../../src/core/queue/submitter.js';
import { defineJob, type ThreadJobContext } from '../../src/worker-kit/job.js';

const Params = Type.Object({ values: Type.Array(Type.Number(), { minItems: 1 }), scale: Type.Number({ default: 1 }) });

/** Worker side: `POST /data/start` runs `run` below in a worker thread. */
export const dataProcessingJob = defineJob({
  domain: 'data',
  operationType: 'data_processing',
  params: Params,
  module: new URL(import.meta.url),
  describe: (p) => ({ parameters: { count: p.values.length, scale: p.scale } }),
});

/** Thread side: scales and sums the values, reporting progress and one metric per value. */
export async function run(p: { values: number[]; scale: number }, ctx: ThreadJobContext) {
  let sum = 0;
  for (const [i, v] of p.values.entries()) {
    ctx.throwIfCancelled();
    sum += v * p.scale;
    ctx.metric({ index: i, scaled: v * p.scale });
    ctx.progress({ percentage: ((i + 1) / p.values.length) * 100, current_step: `Value ${i + 1}/${p.values.length}` });
    await new Promise((r) => setTimeout(r, 5));
  }
  return { summary: { sum, count: p.values.length } };
}

/** Backend side: the route that creates the operation and dispatches it to a data_processing worker. */
export const dataProcessingRoute: StartRouteSpec<typeof Params> = {
  paths: ['/data/process'],
  operationType: 'data_processing',
  workerType: 'data_processing',
  workerPath: '/data/start',
  body: Params,
  summary: 'Scale and sum numbers on a data_processing worker',
  prepare: (body) => ({ metadata: { parameters: { count: body.values.length } }, payload: body }),
};
