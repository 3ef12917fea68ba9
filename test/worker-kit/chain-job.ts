/**
 * Job modules for thread-finish.test.ts. `chain` has no validate hook; `checked` has one, which
 * notes where it ran (the HTTP thread or a job thread) in `mark_file`. Both say which thread ran them.
 */
import { appendFileSync } from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';
import { Type } from 'typebox';
import { InvalidRequestError } from '../../src/contracts/errors.js';
import { defineJob, type ThreadJobContext } from '../../src/worker-kit/job.js';

const Params = Type.Object({
  values: Type.Array(Type.Number(), { minItems: 1 }),
  scale: Type.Number({ default: 1 }),
  /** How long the job waits once it ran (ms). */
  hold_ms: Type.Number({ default: 0 }),
  mark_file: Type.Optional(Type.String()),
});
type Params = { values: number[]; scale: number; hold_ms: number; mark_file?: string };

export const chainJob = defineJob({ domain: 'chain', operationType: 'chain', params: Params, module: new URL(import.meta.url) });

export const checkedJob = defineJob({
  domain: 'checked',
  operationType: 'checked',
  params: Params,
  module: new URL(import.meta.url),
  validate(p) {
    if (p.mark_file) appendFileSync(p.mark_file, `${isMainThread ? 'main' : 'thread'}\n`);
    if (p.values.some((v) => v < 0)) throw InvalidRequestError.field('values', 'must not be negative');
  },
});

/** The thread looks for the job definition here to run its validate hook. */
export const definition = checkedJob;

export async function run(p: Params, ctx: ThreadJobContext) {
  ctx.progress({ percentage: 50, current_step: 'Summing' });
  const sum = p.values.reduce((a, v) => a + v * p.scale, 0);
  ctx.metric({ sum });
  if (p.hold_ms > 0) await new Promise((r) => setTimeout(r, p.hold_ms));
  return { summary: { sum, scale: p.scale, threadId } };
}
