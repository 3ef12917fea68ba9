import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { api, backtestBody, startFixtureBackend, startFixtureWorker, tempDir, waitFor, waitForStatus, waitForWorkers } from '../helpers/cluster.js';

test('kill -9 a worker: temporarily_unavailable after the failure threshold, removed after the removal threshold, its op failed with a reason', async (t) => {
  const dir = tempDir();
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db') });
  const worker = await startFixtureWorker(backend.url, `doomed-${process.pid}`);
  t.after(async () => {
    await worker.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  // One attempt: this test is about failure detection, not the retry (integrity.test.ts has that).
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: { ...backtestBody({ steps: 1000, step_ms: 50 }), max_attempts: 1 } });
  assert.equal(r.status, 200);
  await waitForStatus(backend.url, r.body.operation_id, ['running']);
  await worker.crash();
  const unavailable = await waitFor('worker unavailable', async () => {
    const w = (await api(backend.url, `/api/v1/workers/doomed-${process.pid}`)).body;
    return w.status === 'temporarily_unavailable' ? w : undefined;
  });
  assert.ok(unavailable.health_check_failures >= 2);
  const health = (await api(backend.url, '/api/v1/workers/health')).body;
  assert.equal(health.temporarily_unavailable, 1);
  assert.equal(health.by_type.backtesting.temporarily_unavailable, 1);
  await waitFor('worker removed', async () => (await api(backend.url, `/api/v1/workers/doomed-${process.pid}`)).status === 404);
  const op = await waitForStatus(backend.url, r.body.operation_id, ['failed'], 5_000);
  assert.match(op.error_message, /worker lost/);
  const active = (await api(backend.url, '/api/v1/operations?active_only=true')).body;
  assert.equal(active.total_count, 0, 'nothing left running');
});

test('kill -9 the backend and restart it on the same DB: ops still listed, workers re-register, a running job completes and its result is stored', async (t) => {
  const dir = tempDir();
  const dbPath = join(dir.path, 'ktrdr.db');
  let backend = await startFixtureBackend({ dbPath });
  const port = backend.port;
  const workers = [await startFixtureWorker(backend.url, `w1-${process.pid}`), await startFixtureWorker(backend.url, `w2-${process.pid}`)];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.crash()));
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 2);
  const quick = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 2 }) });
  await waitForStatus(backend.url, quick.body.operation_id, ['completed']);
  const long = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 60, step_ms: 100 }) });
  assert.equal(long.status, 200);
  await waitForStatus(backend.url, long.body.operation_id, ['running']);

  await backend.crash();
  backend = await startFixtureBackend({ dbPath, port });
  const listed = (await api(backend.url, '/api/v1/operations')).body;
  assert.deepEqual(
    listed.data.map((o: { operation_id: string }) => o.operation_id).sort(),
    [quick.body.operation_id, long.body.operation_id].sort(),
  );
  // The seeds: workers re-register within 15 s.
  await waitForWorkers(backend.url, 2, { timeoutMs: 15_000 });
  const w = (await api(backend.url, `/api/v1/workers?status=busy`)).body;
  assert.equal(w.length, 1, 'the worker running the job re-registered busy with it');
  assert.equal(w[0].current_operation_id, long.body.operation_id);
  const done = await waitForStatus(backend.url, long.body.operation_id, ['completed'], 20_000);
  assert.deepEqual(done.result_summary, { steps: 60, sum: Array.from({ length: 60 }, (_, i) => i * i).reduce((a, b) => a + b, 0) });
  const results = await api(backend.url, `/api/v1/operations/${long.body.operation_id}/results`);
  assert.equal(results.status, 200);
  assert.equal(results.body.data.values.length, 60);
});

test('an operation whose worker never comes back after a backend restart is failed as lost (orphan timeout)', async (t) => {
  const dir = tempDir();
  const dbPath = join(dir.path, 'ktrdr.db');
  let backend = await startFixtureBackend({ dbPath });
  const port = backend.port;
  const worker = await startFixtureWorker(backend.url, `gone-${process.pid}`);
  t.after(async () => {
    await worker.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: { ...backtestBody({ steps: 1000, step_ms: 50 }), max_attempts: 1 } });
  await waitForStatus(backend.url, r.body.operation_id, ['running']);
  await backend.crash();
  await worker.crash();
  backend = await startFixtureBackend({ dbPath, port });
  const stored = (await api(backend.url, `/api/v1/operations/${r.body.operation_id}`)).body.data;
  assert.equal(stored.status, 'running');
  const op = await waitForStatus(backend.url, r.body.operation_id, ['failed'], 10_000);
  assert.match(op.error_message, /worker lost: no worker claimed this operation within 4 s/);
});

test('SIGTERM drains a worker: running job finishes, exit 0, new work refused meanwhile', async (t) => {
  const dir = tempDir();
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db') });
  const worker = await startFixtureWorker(backend.url, `drain-${process.pid}`, { WORKER_DRAIN_SECONDS: '10' });
  t.after(async () => {
    await worker.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 15, step_ms: 100 }) });
  await waitForStatus(backend.url, r.body.operation_id, ['running']);
  worker.terminate();
  const draining = await waitFor('draining health', async () => {
    const h = (await api(worker.url, '/health')).body;
    return h.worker_status === 'draining' ? h : undefined;
  });
  assert.equal(draining.current_operation, r.body.operation_id);
  const refused = await api(worker.url, '/backtests/start', { method: 'POST', body: {} });
  assert.equal(refused.status, 503);
  assert.equal(refused.body.error, 'Worker draining');
  assert.equal(await worker.stop(), 0);
  const op = await waitForStatus(backend.url, r.body.operation_id, ['completed'], 5_000);
  assert.equal(op.result_summary.steps, 15);
});

test('SIGTERM with a job longer than the drain period: the job is cancelled and reported cancelled', async (t) => {
  const dir = tempDir();
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db') });
  const worker = await startFixtureWorker(backend.url, `cut-${process.pid}`, { WORKER_DRAIN_SECONDS: '0.5' });
  t.after(async () => {
    await worker.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 1000, step_ms: 50 }) });
  await waitForStatus(backend.url, r.body.operation_id, ['running']);
  worker.terminate();
  assert.equal(await worker.stop(), 0);
  const op = await waitForStatus(backend.url, r.body.operation_id, ['cancelled'], 5_000);
  assert.match(op.error_message, /worker shut down/);
});
