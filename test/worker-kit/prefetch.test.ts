import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptKey, PrefetchSlot } from '../../src/worker-kit/prefetch-slot.js';
import { api, waitFor } from '../helpers/cluster.js';
import { scriptedBackend, type Job } from './scripted-backend.js';

const job = (n: number, extra: Record<string, unknown> = {}): Job => ({
  operation_id: `op-${n}`,
  attempt_id: `a${n}`,
  path: '/chain/start',
  body: { values: [n], ...extra, task_id: `op-${n}`, attempt_id: `a${n}` },
});

test('a job given ahead starts in the same thread the moment the job before it ends; that job’s final report claims it', async (t) => {
  const { reports, finals, url } = await scriptedBackend(t, {
    nexts: { 'op-1': job(2, { hold_ms: 150 }) },
    aheads: { 'op-1': job(3), 'op-2': job(4) },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  const done = await waitFor('four final reports', () => (finals().length === 4 ? finals() : undefined));
  assert.deepEqual(reports.filter((r) => r.body.status === 'running').map((r) => r.id), ['op-1'], 'no job after the first sends a claim of its own');
  assert.deepEqual(
    done.map((r) => [r.id, r.body.accepting_work, r.body.prefetch, r.body.prefetched?.operation_id ?? null]),
    [
      ['op-1', true, true, null],
      // op-3 was held during op-2 and started when it ended: op-2's report claims it and asks for no next job.
      ['op-2', false, true, 'op-3'],
      ['op-3', false, true, 'op-4'],
      ['op-4', true, true, null],
    ],
  );
  assert.equal(done[1]!.body.prefetched?.attempt_id, 'a3');
  const threads = new Set(done.map((r) => r.body.result_summary!.threadId));
  assert.equal(threads.size, 1, 'all four ran in one job thread');
  // The HTTP thread followed the jobs started ahead: it knows op-3 and op-4, and is idle now.
  const op4 = await waitFor('op-4 completed on the worker', async () => {
    const r = await api(url, '/api/v1/operations/op-4');
    return r.body?.data?.status === 'completed' ? r.body.data : undefined;
  });
  assert.equal(op4.attempt_id, 'a4');
  assert.equal((await api(url, '/api/v1/operations/op-3')).body.data.status, 'completed');
  const health = await api(url, '/health');
  assert.deepEqual([health.body.worker_status, health.body.current_operation], ['idle', null]);
});

test('a job given ahead that the backend takes back never starts; the report of the job before it says the worker is free', async (t) => {
  const { finals, url, revoke } = await scriptedBackend(t, {
    nexts: { 'op-1': job(2, { hold_ms: 400 }) },
    aheads: { 'op-1': job(3) },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  await waitFor('op-2 running on the worker', async () => (await api(url, '/health')).body.current_operation === 'op-2' || undefined);
  assert.equal(await revoke(job(3)), 'revoked');
  assert.equal(await revoke(job(3)), 'revoked', 'asking again gives the same answer');
  const done = await waitFor("op-2's final report", () => finals().find((r) => r.id === 'op-2'));
  assert.equal(done.body.prefetched, undefined);
  assert.equal(done.body.accepting_work, true);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(finals().some((r) => r.id === 'op-3'), false, 'op-3 never ran');
  assert.equal((await api(url, '/api/v1/operations/op-3')).status, 404);
});

test('taking back a job its thread already started answers `started`, and the job runs to its end', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const { finals, revoke, url } = await scriptedBackend(t, {
    nexts: { 'op-1': job(2) },
    aheads: { 'op-1': job(3) },
    holds: { 'op-2': held },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  // op-2's report (claiming op-3) is at the backend, its reply held: op-3 started before it went out.
  const r2 = await waitFor("op-2's final report", () => finals().find((r) => r.id === 'op-2'));
  assert.equal(r2.body.prefetched?.operation_id, 'op-3');
  assert.equal(await revoke(job(3)), 'started');
  release();
  const r3 = await waitFor("op-3's final report", () => finals().find((r) => r.id === 'op-3'));
  assert.equal(r3.body.status, 'completed');
  assert.equal(r3.body.attempt_id, 'a3');
});

test('a job taken back before its reply reached the worker is refused when it arrives', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const { finals, revoke, url } = await scriptedBackend(t, {
    nexts: { 'op-1': job(2, { hold_ms: 100 }) },
    aheads: { 'op-1': job(3) },
    holds: { 'op-1': held },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  await waitFor("op-1's final report", () => finals().find((r) => r.id === 'op-1'));
  // The reply giving op-3 ahead has not left the backend yet.
  assert.equal(await revoke(job(3)), 'revoked');
  release();
  const r2 = await waitFor("op-2's final report", () => finals().find((r) => r.id === 'op-2'));
  assert.equal(r2.body.prefetched, undefined, 'op-3 was refused on arrival');
  assert.equal(r2.body.accepting_work, true);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(finals().some((r) => r.id === 'op-3'), false);
});

test('a draining worker gives back the job it held ahead: the next report neither claims it nor asks for work', async (t) => {
  const { finals, worker, url } = await scriptedBackend(t, {
    nexts: { 'op-1': job(2, { hold_ms: 400 }) },
    aheads: { 'op-1': job(3) },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  await waitFor('op-2 running on the worker', async () => (await api(url, '/health')).body.current_operation === 'op-2' || undefined);
  await worker.drain();
  const r2 = finals().find((r) => r.id === 'op-2');
  assert.equal(r2?.body.status, 'completed');
  assert.equal(r2?.body.prefetched, undefined);
  assert.equal(r2?.body.accepting_work, false);
  assert.equal(finals().some((r) => r.id === 'op-3'), false, 'op-3 never ran');
});

test('the prefetch slot: a start and a revocation race on one compare-and-swap, and exactly one wins', () => {
  const fresh = () => new PrefetchSlot(new SharedArrayBuffer(12));
  // held, then taken: a later revocation says started
  let s = fresh();
  assert.equal(s.hold('att_1'), true);
  assert.equal(s.hold('att_2'), false, 'one job at a time');
  assert.equal(s.take('att_1'), true);
  assert.equal(s.revoke('att_1'), 'started');
  // held, then revoked: the start fails, and asking again still says revoked
  s = fresh();
  s.hold('att_1');
  assert.equal(s.revoke('att_1'), 'revoked');
  assert.equal(s.take('att_1'), false);
  assert.equal(s.revoke('att_1'), 'revoked');
  // revoked before it arrived: refused on arrival
  s = fresh();
  assert.equal(s.revoke('att_1'), 'revoked');
  assert.equal(s.hold('att_1'), false);
  assert.equal(s.heldKey(), 0);
  // released by the thread: free for the next one
  s = fresh();
  s.hold('att_1');
  s.release('att_1');
  assert.equal(s.hold('att_2'), true);
  assert.equal(s.heldKey(), attemptKey('att_2'));
  assert.notEqual(attemptKey('att_1'), 0);
});

test('a cancel for a job started ahead that the worker does not follow yet waits for it, then cancels it', async (t) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const { finals, url } = await scriptedBackend(t, {
    nexts: { 'op-1': job(2) },
    aheads: { 'op-1': job(3, { hold_ms: 2000 }) },
    holds: { 'op-2': held },
  });
  assert.equal((await api(url, '/chain/start', { method: 'POST', body: { values: [1], task_id: 'op-1', attempt_id: 'a1' } })).status, 200);
  // op-3 runs in the job thread; op-2's report (its claim) waits at the backend for its reply.
  await waitFor("op-2's final report", () => finals().find((r) => r.id === 'op-2'));
  let answered = false;
  const cancel = api(url, '/api/v1/operations/op-3/cancel', { method: 'DELETE', body: { reason: 'not needed' } }).then((r) => ((answered = true), r));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(answered, false, 'the cancel waits for the worker to follow op-3');
  release();
  const r = await cancel;
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.data.operation_id, 'op-3');
  const r3 = await waitFor("op-3's final report", () => finals().find((f) => f.id === 'op-3'));
  assert.equal(r3.body.status, 'cancelled');
  assert.equal(r3.body.attempt_id, 'a3');
});
