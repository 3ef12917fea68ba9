import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  api,
  backtestBody,
  startFixtureBackend,
  startFixtureWorker,
  tempDir,
  waitFor,
  waitForStatus,
  waitForWorkers,
  type Proc,
} from '../helpers/cluster.js';

async function cluster(t: import('node:test').TestContext, workers: number, env: Record<string, string> = {}) {
  const dir = tempDir();
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  const procs: Proc[] = [];
  for (let i = 1; i <= workers; i++) procs.push(await startFixtureWorker(backend.url, `fx-${i}-${process.pid}`, env));
  t.after(async () => {
    await Promise.all(procs.map((p) => p.crash()));
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, workers, { token: env['KTRDR_API_TOKEN'] });
  return { backend, workers: procs, dir };
}

test('3 workers × 30 dispatches of a short job spread 10 / 10 / 10 (least recently used)', async (t) => {
  const { backend } = await cluster(t, 3);
  const counts = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 1, step_ms: 1 }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'started');
    assert.match(r.body.operation_id, /^op_backtesting_\d{8}_\d{6}_[0-9a-f]{8}$/);
    counts.set(r.body.worker_id, (counts.get(r.body.worker_id) ?? 0) + 1);
    const op = await waitForStatus(backend.url, r.body.operation_id, ['completed']);
    assert.deepEqual(op.result_summary, { steps: 1, sum: 0 });
  }
  assert.deepEqual([...counts.values()], [10, 10, 10]);
  const list = await api(backend.url, '/api/v1/operations?limit=100');
  assert.equal(list.body.total_count, 30);
  assert.equal(list.body.active_count, 0);
});

test('a busy worker answers 503, the backend tries another; when all are busy the op waits in the queue', async (t) => {
  // Rare health rounds: the registry must not learn of the job started behind its back before the dispatch does.
  const { backend, workers } = await cluster(t, 2, { HEALTH_CHECK_INTERVAL_SECONDS: '60', WORKER_HEALTH_SILENCE_SECONDS: '120' });
  // Occupy worker 1 behind the backend's back: the registry still thinks it is available.
  const direct = await api(workers[0]!.url, '/backtests/start', { method: 'POST', body: { fixture: { steps: 200, step_ms: 50 } } });
  assert.equal(direct.status, 200);
  const again = await api(workers[0]!.url, '/backtests/start', { method: 'POST', body: { fixture: {} } });
  assert.equal(again.status, 503);
  assert.deepEqual(again.body, { error: 'Worker busy', current_operation: direct.body.operation_id });

  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 200, step_ms: 50 }) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.worker_id, `fx-2-${process.pid}`);

  // Every worker busy: the submission waits in the queue (not a 503, not a failed row) and runs when one frees.
  const queued = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 1 }) });
  assert.equal(queued.status, 200, JSON.stringify(queued.body));
  assert.equal(queued.body.status, 'queued');
  assert.equal(queued.body.worker_id, null);
  assert.equal(queued.body.queue_position, 1);
  assert.match(queued.body.status_detail, /waiting for a free backtesting worker/);
  const listed = await api(backend.url, '/api/v1/operations?status=queued');
  assert.equal(listed.body.data[0].queue_position, 1);
  await api(backend.url, `/api/v1/operations/${r.body.operation_id}/cancel`, { method: 'DELETE' });
  const ran = await waitForStatus(backend.url, queued.body.operation_id, ['completed']);
  assert.equal(ran.worker_id, `fx-2-${process.pid}`);
  assert.equal((await api(backend.url, '/api/v1/operations?status=failed')).body.total_count, 0, 'no failed rows');

  // No training worker at all: queued with a reason, never silently failed.
  const noTraining = await api(backend.url, '/api/v1/training/start', { method: 'POST', body: { strategy_name: 'rsi_macd_1h' } });
  assert.equal(noTraining.status, 200, JSON.stringify(noTraining.body));
  assert.equal(noTraining.body.status, 'queued');
  assert.match(noTraining.body.status_detail, /none is registered/);
  const cancelled = await api(backend.url, `/api/v1/operations/${noTraining.body.operation_id}/cancel`, { method: 'DELETE' });
  assert.equal(cancelled.body.data.status, 'cancelled', 'a queued op can be cancelled');
  assert.equal((await api(backend.url, '/api/v1/operations?status=queued')).body.total_count, 0);
});

test('progress is visible through the backend, the metrics cursor returns only new metrics, cancel ends it cancelled on both sides', async (t) => {
  const { backend, workers } = await cluster(t, 1);
  const r = await api(backend.url, '/api/v1/backtests/start', {
    method: 'POST',
    body: backtestBody({ steps: 400, step_ms: 25, metrics: true }),
  });
  assert.equal(r.status, 200);
  const id = r.body.operation_id as string;
  const running = await waitForStatus(backend.url, id, ['running']);
  assert.equal(running.worker_id, `fx-1-${process.pid}`);
  const progressed = await waitFor('progress past 2 %', async () => {
    const op = (await api(backend.url, `/api/v1/operations/${id}?force_refresh=true`)).body.data;
    return op.progress.percentage > 2 ? op : undefined;
  }, { intervalMs: 50 });
  assert.match(progressed.progress.current_step, /^Step \d+\/400$/);
  assert.equal(progressed.progress.steps_total, 400);

  const m1 = (await api(backend.url, `/api/v1/operations/${id}/metrics?cursor=0`)).body.data;
  assert.ok(m1.metrics.length >= 1);
  assert.equal(m1.new_cursor, m1.metrics.length);
  assert.deepEqual(m1.metrics[0], { step: 1, value: 0 });
  const m2 = await waitFor('new metrics after the cursor', async () => {
    const d = (await api(backend.url, `/api/v1/operations/${id}/metrics?cursor=${m1.new_cursor}`)).body.data;
    return d.metrics.length >= 1 ? d : undefined;
  }, { intervalMs: 50 });
  assert.equal(m2.metrics[0].step, m1.new_cursor + 1, 'first metric after the cursor is the next one');
  assert.equal(m2.new_cursor, m1.new_cursor + m2.metrics.length);

  const c = await api(backend.url, `/api/v1/operations/${id}/cancel`, { method: 'DELETE', body: { reason: 'test says stop' } });
  assert.equal(c.status, 200);
  assert.equal(c.body.data.status, 'cancelled');
  const onWorker = await api(workers[0]!.url, `/api/v1/operations/${id}`);
  assert.equal(onWorker.body.data.status, 'cancelled');
  const stored = (await api(backend.url, `/api/v1/operations/${id}`)).body.data;
  assert.equal(stored.status, 'cancelled');
  assert.ok(stored.completed_at);
  // The worker is free again at once.
  const next = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 1 }) });
  assert.equal(next.status, 200, JSON.stringify(next.body));
  const again = await api(backend.url, `/api/v1/operations/${id}/cancel`, { method: 'DELETE' });
  assert.equal(again.status, 200, 'cancelling a cancelled op is idempotent');
  const done = await waitForStatus(backend.url, next.body.operation_id, ['completed']);
  const notCancellable = await api(backend.url, `/api/v1/operations/${done.operation_id}/cancel`, { method: 'DELETE' });
  assert.equal(notCancellable.status, 409);
});

test('a failing job marks the operation failed with its message; results of a completed job are stored', async (t) => {
  const { backend } = await cluster(t, 1);
  const bad = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 2, fail: 'boom: data exploded' }) });
  const failed = await waitForStatus(backend.url, bad.body.operation_id, ['failed']);
  assert.equal(failed.error_message, 'boom: data exploded');
  const ok = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 4 }) });
  await waitForStatus(backend.url, ok.body.operation_id, ['completed']);
  const res = await api(backend.url, `/api/v1/operations/${ok.body.operation_id}/results`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.data, { values: [0, 1, 4, 9] });
  const missing = await api(backend.url, `/api/v1/operations/${bad.body.operation_id}/results`);
  assert.equal(missing.status, 404);
});

// Its latency (the seeds' < 100 ms) is measured by `npm run bench -- core` (worker /health during a CPU-bound job).
test('a busy worker answers /health while a CPU-heavy job runs, naming the op', async (t) => {
  const { backend, workers } = await cluster(t, 1);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 40, step_ms: 100, cpu: true }) });
  assert.equal(r.status, 200);
  await waitFor('the worker busy', async () => ((await api(workers[0]!.url, '/health')).body.worker_status === 'busy' ? true : undefined), { intervalMs: 20 });
  for (let i = 0; i < 10; i++) {
    const h = await api(workers[0]!.url, '/health');
    assert.equal(h.body.worker_status, 'busy');
    assert.equal(h.body.current_operation, r.body.operation_id);
    assert.deepEqual(Object.keys(h.body).sort(), ['current_attempt_id', 'current_operation', 'healthy', 'service', 'status', 'timestamp', 'worker_status']);
    await new Promise((res) => setTimeout(res, 50));
  }
  const workerMetrics = await fetch(`${workers[0]!.url}/metrics`);
  assert.match(await workerMetrics.text(), /ktrdr_worker_busy 1/);
});

test('with KTRDR_API_TOKEN set, unauthenticated calls get 401 and the cluster still works', async (t) => {
  const token = 'test-token-' + process.pid;
  const { backend, workers } = await cluster(t, 1, { KTRDR_API_TOKEN: token });
  assert.equal((await api(backend.url, '/api/v1/workers')).status, 401);
  assert.equal((await api(backend.url, '/api/v1/workers', { token: 'wrong' })).status, 401);
  assert.equal((await api(backend.url, '/health')).status, 200);
  assert.equal((await api(workers[0]!.url, '/api/v1/operations')).status, 401);
  assert.equal((await api(workers[0]!.url, '/backtests/start', { method: 'POST', body: {} })).status, 401);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 3 }), token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const op = await waitForStatus(backend.url, r.body.operation_id, ['completed'], 15_000, token);
  assert.equal(op.result_summary.steps, 3);
});
