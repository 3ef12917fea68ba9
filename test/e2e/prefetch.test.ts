import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { api, backtestBody, startFixtureBackend, startFixtureWorker, tempDir, waitFor, waitForStatus, waitForWorkers } from '../helpers/cluster.js';

interface Attempt {
  worker_id: string;
  outcome: string;
  prefetched?: boolean;
  detail?: string | null;
}

const op = async (base: string, id: string) => (await api(base, `/api/v1/operations/${id}`)).body.data as {
  status: string;
  worker_id: string | null;
  status_detail: string | null;
  completed_at: string | null;
  attempts: Attempt[];
};

/**
 * A job given ahead to a busy worker waits behind that worker's current job only while no worker
 * is free: when one frees up, the backend takes the job back (the worker confirms it never started
 * it) and runs it there. Real backend and worker processes on loopback.
 */
test('a job given ahead to a busy worker is taken back and run on a worker that frees up first', async (t) => {
  const dir = tempDir();
  // Health rounds every hour: only reports and the scheduler move work here.
  const env = { HEALTH_CHECK_INTERVAL_SECONDS: '3600', WORKER_HEALTH_SILENCE_SECONDS: '7200' };
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  const w1 = await startFixtureWorker(backend.url, `pf1-${process.pid}`, env);
  const w2 = await startFixtureWorker(backend.url, `pf2-${process.pid}`, env);
  t.after(async () => {
    await Promise.all([w1.crash(), w2.crash()]);
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 2);
  const submit = async (steps: number) => {
    const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps, step_ms: 100 }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.operation_id as string;
  };
  // A (2.5 s) and B (1 s) start at once on the two workers; C (4 s) and D (short) wait in the queue.
  const a = await submit(25);
  await waitForStatus(backend.url, a, ['running']);
  const b = await submit(10);
  await waitForStatus(backend.url, b, ['running']);
  const c = await submit(40);
  const d = await submit(1);
  // B ends first: its worker gets C in the reply, and D ahead of it (no worker is free for D).
  const bWorker = (await op(backend.url, b)).worker_id!;
  const held = await waitFor('D given ahead to B’s worker', async () => {
    const o = await op(backend.url, d);
    return o.status === 'pending' && o.attempts.at(-1)?.prefetched === true ? o : undefined;
  });
  assert.equal(held.worker_id, bWorker);
  assert.match(held.status_detail ?? '', /given ahead to .*: starts there when its current job ends/);
  assert.equal((await op(backend.url, c)).worker_id, bWorker, 'C runs on the worker that finished B');
  // A ends while C still runs: its worker is free, so D is taken back and runs there.
  const done = await waitForStatus(backend.url, d, ['completed'], 15_000);
  const dOp = await op(backend.url, d);
  const aWorker = (await op(backend.url, a)).worker_id!;
  assert.notEqual(aWorker, bWorker);
  assert.equal(dOp.worker_id, aWorker, 'D ran on the worker that freed up first');
  assert.deepEqual(
    dOp.attempts.map((x) => [x.worker_id, x.outcome, x.prefetched === true]),
    [
      [bWorker, 'abandoned', true],
      [aWorker, 'completed', false],
    ],
  );
  assert.match(dOp.attempts[0]!.detail ?? '', /taken back from .* for a free worker/);
  assert.equal((await op(backend.url, c)).status, 'running', 'D did not wait for C');
  assert.ok(done);
  // The taken-back attempt never started on B's worker.
  assert.equal((await api(w1.name === bWorker ? w1.url : w2.url, `/api/v1/operations/${d}`)).status, 404);
  await waitForStatus(backend.url, c, ['completed'], 15_000);
});

test('cancelling a job given ahead takes it back from its worker: it never runs there, and the job before it ends normally', async (t) => {
  const dir = tempDir();
  const env = { HEALTH_CHECK_INTERVAL_SECONDS: '3600', WORKER_HEALTH_SILENCE_SECONDS: '7200' };
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  const w1 = await startFixtureWorker(backend.url, `pc1-${process.pid}`, env);
  t.after(async () => {
    await w1.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  const submit = async (steps: number) => {
    const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps, step_ms: 100 }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.operation_id as string;
  };
  // A runs; B and C wait. A's end hands B over and gives C ahead (one worker: none is free for it).
  const a = await submit(3);
  await waitForStatus(backend.url, a, ['running']);
  const b = await submit(20);
  const c = await submit(1);
  await waitFor('C given ahead', async () => {
    const o = await op(backend.url, c);
    return o.status === 'pending' && o.attempts.at(-1)?.prefetched === true ? true : undefined;
  });
  const cancelled = await api(backend.url, `/api/v1/operations/${c}/cancel`, { method: 'DELETE' });
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  assert.equal(cancelled.body.data.status, 'cancelled');
  await waitForStatus(backend.url, b, ['completed'], 15_000);
  // B's end found C taken back: C never started on the worker, which is idle now.
  const health = await waitFor('the worker idle', async () => {
    const h = (await api(w1.url, '/health')).body;
    return h.worker_status === 'idle' ? h : undefined;
  });
  assert.equal(health.current_operation, null);
  assert.equal((await api(w1.url, `/api/v1/operations/${c}`)).status, 404, 'C never ran on the worker');
  const cOp = await op(backend.url, c);
  assert.equal(cOp.status, 'cancelled');
  assert.deepEqual(cOp.attempts.map((x) => [x.outcome, x.prefetched === true]), [['cancelled', true]]);
});

test('the backend is kill -9ed while a worker holds a job ahead: the restarted backend takes its claim, and it runs once', async (t) => {
  const dir = tempDir();
  const dbPath = join(dir.path, 'ktrdr.db');
  const runLog = join(dir.path, 'runs.log');
  const env = { HEALTH_CHECK_INTERVAL_SECONDS: '3600', WORKER_HEALTH_SILENCE_SECONDS: '7200' };
  let backend = await startFixtureBackend({ dbPath, env });
  const port = backend.port;
  const w1 = await startFixtureWorker(backend.url, `pr1-${process.pid}`, env);
  t.after(async () => {
    await w1.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  const submit = async (steps: number) => {
    const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps, step_ms: 100, run_log: runLog }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.operation_id as string;
  };
  const a = await submit(3);
  await waitForStatus(backend.url, a, ['running']);
  const b = await submit(25);
  const c = await submit(1);
  await waitFor('C given ahead, behind B', async () => {
    const o = await op(backend.url, c);
    return o.status === 'pending' && o.attempts.at(-1)?.prefetched === true ? true : undefined;
  });
  // ...and stored (a listing reads the store once the writes queued so far landed), so the kill
  // does not take the attempt with it.
  await waitFor('C stored as given ahead', async () => {
    const listed = (await api(backend.url, '/api/v1/operations?status=pending&limit=100')).body.data as { operation_id: string }[];
    return listed.some((o) => o.operation_id === c) || undefined;
  });
  await backend.crash();
  backend = await startFixtureBackend({ dbPath, port, env });
  // B ends under the new backend; its report claims C, which the new backend knows was given ahead.
  const done = await waitForStatus(backend.url, c, ['completed'], 20_000);
  assert.equal(done.worker_id, w1.name);
  const cOp = await op(backend.url, c);
  assert.deepEqual(cOp.attempts.map((x) => [x.worker_id, x.outcome, x.prefetched === true]), [[w1.name, 'completed', true]]);
  assert.equal((await op(backend.url, b)).status, 'completed');
  const { readFileSync } = await import('node:fs');
  const runs = readFileSync(runLog, 'utf8').trim().split('\n');
  assert.deepEqual(runs.filter((l) => l.startsWith(`${c} `)), [`${c} ${w1.name}`], 'C ran once');
});

test('a worker restarted while holding a job ahead: the job goes back to the queue, unspent, and runs', async (t) => {
  const dir = tempDir();
  const runLog = join(dir.path, 'runs.log');
  const env = { HEALTH_CHECK_INTERVAL_SECONDS: '3600', WORKER_HEALTH_SILENCE_SECONDS: '7200' };
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  let w1 = await startFixtureWorker(backend.url, `pw1-${process.pid}`, env);
  t.after(async () => {
    await w1.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  const submit = async (steps: number) => {
    const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps, step_ms: 100, run_log: runLog }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.operation_id as string;
  };
  const a = await submit(3);
  await waitForStatus(backend.url, a, ['running']);
  const b = await submit(40);
  const c = await submit(1);
  await waitFor('C given ahead, behind B', async () => {
    const o = await op(backend.url, c);
    return o.status === 'pending' && o.attempts.at(-1)?.prefetched === true ? true : undefined;
  });
  await w1.crash();
  w1 = await startFixtureWorker(backend.url, w1.name, env);
  const done = await waitForStatus(backend.url, c, ['completed'], 20_000);
  assert.equal(done.worker_id, w1.name);
  const cOp = await op(backend.url, c);
  assert.deepEqual(
    cOp.attempts.map((x) => [x.outcome, x.prefetched === true]),
    [
      ['abandoned', true],
      ['completed', false],
    ],
  );
  assert.match(cOp.attempts[0]!.detail ?? '', /restarted before starting it/);
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(runLog, 'utf8').trim().split('\n').filter((l) => l.startsWith(`${c} `)).length, 1, 'C ran once');
});
