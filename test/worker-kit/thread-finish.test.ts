import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, tempDir, waitFor } from '../helpers/cluster.js';
import { scriptedBackend } from './scripted-backend.js';

test('the job thread pushes the final report itself and starts the handed-over jobs in the same thread, validate hook included', async (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  const mark = join(dir.path, 'hook.log');
  const { reports, finals, url } = await scriptedBackend(t, { nexts: {
    // Without `scale`: the schema's default (1) must be filled in.
    'op-1': { operation_id: 'op-2', attempt_id: 'a2', path: '/chain/start', body: { values: [1, 2], task_id: 'op-2', attempt_id: 'a2' } },
    'op-2': { operation_id: 'op-3', attempt_id: 'a3', path: '/checked/start', body: { values: [4], scale: 3, mark_file: mark, task_id: 'op-3', attempt_id: 'a3' } },
  } });
  const first = await api(url, '/chain/start', { method: 'POST', body: { values: [5], scale: 2, task_id: 'op-1', attempt_id: 'a1' } });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const done = await waitFor('three final reports', () => (finals().length === 3 ? finals() : undefined));

  assert.deepEqual(reports.filter((r) => r.body.status === 'running').map((r) => r.id), ['op-1'], 'only the directly started job claims');
  assert.deepEqual(done.map((r) => [r.id, r.body.attempt_id, r.body.status]), [
    ['op-1', 'a1', 'completed'],
    ['op-2', 'a2', 'completed'],
    ['op-3', 'a3', 'completed'],
  ]);
  // The report the job thread builds is the one the HTTP thread would have sent.
  const r1 = done[0]!.body;
  assert.equal(r1.worker_id, 'chain-w');
  assert.equal(r1.accepting_work, true);
  assert.equal(r1.error_message, null);
  assert.deepEqual(r1.metrics, [{ sum: 10 }]);
  assert.deepEqual({ percentage: r1.progress?.percentage, step: r1.progress?.current_step }, { percentage: 100, step: 'Completed' });
  const [s1, s2, s3] = done.map((r) => r.body.result_summary!);
  assert.deepEqual([s1!.sum, s2!.sum, s3!.sum], [10, 3, 12]);
  assert.equal(s2!.scale, 1, 'scale defaulted to 1 by the start route schema');
  assert.equal(s2!.threadId, s1!.threadId, 'the handed-over job ran in the thread that reported the previous one');
  assert.equal(s3!.threadId, s1!.threadId);
  assert.deepEqual(readFileSync(mark, 'utf8').trim().split('\n'), ['thread'], "op-3's validate hook ran once, in the job thread");

  // The HTTP thread heard of both: its own records of op-2 and op-3 are complete, and it is idle.
  const op3 = await waitFor('op-3 known to the worker as completed', async () => {
    const r = await api(url, '/api/v1/operations/op-3');
    return r.body?.data?.status === 'completed' ? r.body.data : undefined;
  });
  assert.equal(op3.attempt_id, 'a3');
  assert.deepEqual(op3.result_summary, s3);
  assert.equal((await api(url, '/api/v1/operations/op-2')).body.data.status, 'completed');
  const health = await api(url, '/health');
  assert.deepEqual([health.body.worker_status, health.body.current_operation], ['idle', null]);
});

test('a handed-over job whose validate hook fails is reported failed with the hook message', async (t) => {
  const { finals, url } = await scriptedBackend(t, {
    nexts: { 'op-1': { operation_id: 'op-2', attempt_id: 'a2', path: '/checked/start', body: { values: [-1], task_id: 'op-2', attempt_id: 'a2' } } },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  const done = await waitFor('two final reports', () => (finals().length === 2 ? finals() : undefined));
  assert.deepEqual(done.map((r) => [r.id, r.body.status]), [['op-1', 'completed'], ['op-2', 'failed']]);
  assert.match(done[1]!.body.error_message ?? '', /could not start it: .*values.*must not be negative/);
});

test('while its job thread reports, the worker says idle, and a start request waits for that report instead of a 503', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const { finals, url, logs } = await scriptedBackend(t, { holds: { 'op-1': held } });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  // The backend has op-1's final state; the worker's HTTP thread will hear of it only with the reply.
  await waitFor("op-1's final report at the backend", () => finals().length === 1 || undefined);
  const health = await api(url, '/health');
  assert.deepEqual([health.body.worker_status, health.body.current_operation], ['idle', null]);
  let released = false;
  const start = api(url, '/chain/start', { method: 'POST', body: { values: [2], task_id: 'op-2', attempt_id: 'a2' } }).then((r) => ({ r, released }));
  // The start request is waiting in the worker before the reply goes.
  await waitFor('the start request to wait', () => logs.some((l) => l.includes("waits for the previous job's final report")) || undefined);
  released = true;
  release();
  const { r, released: afterRelease } = await start;
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(afterRelease, true, 'the start was answered after the report reply');
  await waitFor('op-2 completed', () => finals().some((f) => f.id === 'op-2' && f.body.status === 'completed') || undefined);
});

test('a draining worker tells the backend it takes no more work, from its job thread too', async (t) => {
  const { finals, worker, url } = await scriptedBackend(t, {
    nexts: { 'op-1': { operation_id: 'op-2', attempt_id: 'a2', path: '/chain/start', body: { values: [1], task_id: 'op-2', attempt_id: 'a2' } } },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], hold_ms: 300, task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  await waitFor('op-1 running', async () => (await api(url, '/health')).body.worker_status === 'busy' || undefined);
  const drained = worker.drain();
  const done = await waitFor('op-1 reported', () => (finals().length === 1 ? finals() : undefined));
  assert.equal(done[0]!.body.status, 'completed');
  assert.equal(done[0]!.body.accepting_work, false);
  await drained;
  assert.equal(finals().length, 1, 'nothing was handed over');
});

test('a drain that begins while the job thread waits for its report reply: the job handed over in that reply does not run here', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const { finals, worker, url } = await scriptedBackend(t, {
    nexts: { 'op-1': { operation_id: 'op-2', attempt_id: 'a2', path: '/chain/start', body: { values: [1], task_id: 'op-2', attempt_id: 'a2' } } },
    holds: { 'op-1': held },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  // The report left the thread while the worker still took work; the reply (with op-2) is held.
  const first = await waitFor("op-1's final report at the backend", () => (finals().length === 1 ? finals()[0]! : undefined));
  assert.equal(first.body.accepting_work, true);
  const drained = worker.drain();
  release();
  await drained;
  // The drained worker is closed: its own records say what ran.
  assert.equal(worker.operations.has('op-1'), true);
  assert.equal(worker.operations.has('op-2'), false, 'op-2 never started on a draining worker');
  assert.ok(!finals().some((f) => f.id === 'op-2' && f.body.status === 'completed'));
});
