import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobCancelledError, type JobOutput, type ProgressUpdate } from '../../src/worker-kit/job.js';
import { runInThread } from '../../src/worker-kit/run-in-thread.js';
import type { ThreadReuseParams } from './thread-reuse-job.js';

const job = new URL('./thread-reuse-job.js', import.meta.url);

function run(params: ThreadReuseParams, signal = new AbortController().signal, progress: ProgressUpdate[] = []): Promise<JobOutput> {
  return runInThread(job, params, {
    operationId: 'op-1',
    settings: {},
    signal,
    cancelGraceMs: 200,
    onProgress: (u) => progress.push(u),
    onMetric: () => undefined,
    onLog: () => undefined,
  });
}

const threadOf = (out: JobOutput) => (out.summary as { threadId: number; loads: number });

test('consecutive jobs run in the same long-lived thread, which imports the job module once', async () => {
  const progress: ProgressUpdate[] = [];
  const first = threadOf(await run({}, undefined, progress));
  const second = threadOf(await run({}));
  assert.equal(second.threadId, first.threadId);
  assert.equal(second.loads, 1);
  assert.deepEqual(progress, [{ percentage: 50 }]);
});

test("a job's error is rebuilt with its name, message and code, and the thread is reused", async () => {
  const before = threadOf(await run({}));
  const err = await run({ mode: 'fail' }).then(
    () => assert.fail('expected the job to fail'),
    (e: unknown) => e as Error & { code?: string },
  );
  assert.equal(err.name, 'RangeError');
  assert.equal(err.message, 'bad window');
  assert.equal(err.code, 'BAD_WINDOW');
  assert.equal(threadOf(await run({})).threadId, before.threadId);
});

test('a job that notices the cancel flag ends cancelled; its thread is replaced', async () => {
  const before = threadOf(await run({}));
  const ac = new AbortController();
  const running = run({ mode: 'wait-for-cancel' }, ac.signal);
  ac.abort();
  await assert.rejects(running, JobCancelledError);
  const after = threadOf(await run({}));
  assert.notEqual(after.threadId, before.threadId);
  assert.equal(after.loads, 1);
});

test('a synchronous job that ignores the flag is terminated after the grace and ends cancelled', async () => {
  const before = threadOf(await run({}));
  const ac = new AbortController();
  const progress: ProgressUpdate[] = [];
  const running = run({ mode: 'ignore-cancel' }, ac.signal, progress);
  // Cancel once the job code runs (its first progress), so the loop is what terminate() stops.
  while (progress.length === 0) await new Promise((r) => setTimeout(r, 5));
  ac.abort();
  await assert.rejects(running, JobCancelledError);
  assert.notEqual(threadOf(await run({})).threadId, before.threadId);
});

test('an already-cancelled signal rejects without running the job', async () => {
  const ac = new AbortController();
  ac.abort();
  const progress: ProgressUpdate[] = [];
  await assert.rejects(run({}, ac.signal, progress), JobCancelledError);
  assert.deepEqual(progress, []);
});
