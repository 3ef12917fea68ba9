import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  api,
  backtestBody,
  freePort,
  spawnNode,
  FIXTURE_WORKER,
  startFixtureBackend,
  startFixtureWorker,
  tempDir,
  waitFor,
  waitForStatus,
  waitForWorkers,
  type Proc,
} from '../helpers/cluster.js';
import { delayProxy } from '../helpers/delay-proxy.js';

/** Lines the fixture job wrote when it actually started: one per execution. */
function runs(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

/** Waits until a worker logged that the backend refused its claim of `operationId` (its late start request ran the claim, not the job). */
function claimRefused(w: Proc, operationId: string): Promise<true> {
  return waitFor(`${w.name} to be refused the claim of ${operationId}`, () =>
    w.output().split('\n').some((l) => l.includes('attempt not confirmed by the backend') && l.includes(operationId) && l.includes('"answer":"stale"')) || undefined,
  );
}

const START_TIMEOUT = { WORKER_START_TIMEOUT_SECONDS: '1' };

async function setup(t: import('node:test').TestContext, env: Record<string, string> = {}) {
  const dir = tempDir();
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db'), env: { ...START_TIMEOUT, ...env } });
  const procs: Proc[] = [];
  t.after(async () => {
    for (const p of procs) {
      try {
        process.kill(p.child.pid!, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await Promise.all(procs.map((p) => p.crash()));
    await backend.crash();
    dir.remove();
  });
  const worker = async (id: string, extra: Record<string, string> = {}) => {
    const p = await startFixtureWorker(backend.url, `${id}-${process.pid}`, { ...env, ...extra });
    procs.push(p);
    return p;
  };
  return { dir, backend, worker, procs };
}

test('a worker SIGSTOPped during dispatch never runs the op: the attempt is abandoned, another worker runs it once', async (t) => {
  const { dir, backend, worker } = await setup(t);
  const w1 = await worker('stop-1');
  await waitForWorkers(backend.url, 1);
  const w2 = await worker('stop-2');
  await waitForWorkers(backend.url, 2);
  const log = join(dir.path, 'runs.log');
  process.kill(w1.child.pid!, 'SIGSTOP'); // hung, but the backend still lists it available
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 5, step_ms: 20, run_log: log }) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.worker_id, `stop-2-${process.pid}`);
  const done = await waitForStatus(backend.url, r.body.operation_id, ['completed']);
  process.kill(w1.child.pid!, 'SIGCONT');
  // The resumed worker reads the buffered start request, claims its attempt, and is refused.
  await waitFor('resumed worker to answer', async () => (await fetch(`${w1.url}/health`)).ok);
  await claimRefused(w1, r.body.operation_id);
  assert.deepEqual(runs(log), [`${r.body.operation_id} stop-2-${process.pid}`], 'the job ran exactly once');
  const ops = await api(w1.url, '/api/v1/operations');
  assert.equal(ops.body.data.length, 0, 'the hung worker never created the operation');
  const stored = (await api(backend.url, `/api/v1/operations/${done.operation_id}`)).body.data;
  assert.equal(stored.status, 'completed');
  assert.deepEqual(
    stored.attempts.map((a: { worker_id: string; outcome: string }) => [a.worker_id, a.outcome]),
    [[`stop-1-${process.pid}`, 'abandoned'], [`stop-2-${process.pid}`, 'completed']],
  );
  void w2;
});

test('a reply-delaying proxy: the start reply times out but the worker claimed the attempt, so it runs there once', async (t) => {
  const { dir, backend, worker } = await setup(t);
  const port = await freePort();
  const proxy = await delayProxy(port);
  t.after(() => proxy.close());
  const slow1 = await worker('slow-1', { WORKER_PORT: String(port), WORKER_ENDPOINT_URL: proxy.url });
  await waitForWorkers(backend.url, 1);
  await worker('slow-2');
  await waitForWorkers(backend.url, 2);
  const log = join(dir.path, 'runs.log');
  proxy.delay({ match: /^POST \/backtests\/start/, delayMs: 2_500, direction: 'reply' });
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 10, step_ms: 50, run_log: log }) });
  assert.equal(r.status, 200, JSON.stringify(r.body) + backend.output().slice(-2000) + slow1.output().slice(-2000));
  assert.equal(r.body.worker_id, `slow-1-${process.pid}`, 'the claimed attempt counts although its reply was late');
  const done = await waitForStatus(backend.url, r.body.operation_id, ['completed']);
  await waitFor('the proxy to pass on the held start reply', () => (proxy.released() >= 1 && proxy.held() === 0) || undefined);
  assert.equal(runs(log).length, 1, `ran once: ${runs(log).join(', ')}`);
  assert.deepEqual(done.attempts.map((a: { outcome: string }) => a.outcome), ['completed']);
});

test('cancelling a pending op while its start request is in flight stays cancelled; the job never runs', async (t) => {
  const { dir, backend, worker } = await setup(t, { WORKER_START_TIMEOUT_SECONDS: '3' });
  const port = await freePort();
  const proxy = await delayProxy(port);
  t.after(() => proxy.close());
  const cx1 = await worker('cx-1', { WORKER_PORT: String(port), WORKER_ENDPOINT_URL: proxy.url });
  await waitForWorkers(backend.url, 1);
  const log = join(dir.path, 'runs.log');
  proxy.delay({ match: /^POST \/backtests\/start/, delayMs: 1_000, direction: 'request' });
  const submitted = api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 5, step_ms: 20, run_log: log }) });
  const pending = await waitFor('the pending op', async () => {
    const list = await api(backend.url, '/api/v1/operations?status=pending');
    return list.body.data[0]?.operation_id as string | undefined;
  }, { intervalMs: 20 });
  const c = await api(backend.url, `/api/v1/operations/${pending}/cancel`, { method: 'DELETE', body: { reason: 'not now' } });
  assert.equal(c.body.data.status, 'cancelled');
  const r = await submitted;
  assert.equal(r.status, 409, JSON.stringify(r.body));
  assert.equal(r.body.code, 'OPERATION_ENDED');
  // The held start request reaches the worker after all: its claim is refused, so nothing runs.
  await claimRefused(cx1, pending);
  const op = (await api(backend.url, `/api/v1/operations/${pending}`)).body.data;
  assert.equal(op.status, 'cancelled');
  assert.deepEqual(runs(log), [], 'the job never started');
  const w = (await api(backend.url, '/api/v1/workers')).body[0];
  assert.equal(w.status, 'available');
});

test('completion is pushed: the backend stores the result at once, even if the worker dies right after', async (t) => {
  // Health checks every 60 s: only the worker's push can tell the backend the job ended.
  const { backend, worker } = await setup(t, { HEALTH_CHECK_INTERVAL_SECONDS: '60', WORKER_HEALTH_SILENCE_SECONDS: '120' });
  const w = await worker('push-1');
  await waitForWorkers(backend.url, 1);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 4, step_ms: 50 }) });
  assert.equal(r.status, 200);
  const id = r.body.operation_id as string;
  // Watch the store through the list (which never asks the worker).
  await waitFor('the pushed completion', async () => {
    const list = await api(backend.url, '/api/v1/operations?status=completed');
    return list.body.data.some((o: { operation_id: string }) => o.operation_id === id) || undefined;
  }, { timeoutMs: 5_000, intervalMs: 50 });
  await w.crash();
  const results = await api(backend.url, `/api/v1/operations/${id}/results`);
  assert.equal(results.status, 200);
  assert.deepEqual(results.body.data, { values: [0, 1, 4, 9] });
  const worker2 = (await api(backend.url, `/api/v1/workers/push-1-${process.pid}`)).body;
  assert.equal(worker2.status, 'available', 'the worker was freed by the push, not by a later poll');
});

test('a dead worker: its op says "worker unreachable" within seconds, then is settled by the orphan timeout', async (t) => {
  const { backend, worker } = await setup(t, { ORPHAN_TIMEOUT_SECONDS: '3', WORKER_REMOVAL_THRESHOLD_SECONDS: '30' });
  const w = await worker('dead-1');
  await waitForWorkers(backend.url, 1);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: { ...backtestBody({ steps: 400, step_ms: 50 }), max_attempts: 1 } });
  const id = r.body.operation_id as string;
  await waitForStatus(backend.url, id, ['running']);
  await w.crash();
  const flagged = await waitFor('status_detail', async () => {
    const op = (await api(backend.url, `/api/v1/operations/${id}`)).body.data;
    return op.status_detail?.startsWith('worker unreachable') ? op : undefined;
  }, { timeoutMs: 5_000 });
  assert.equal(flagged.status, 'running');
  const failed = await waitForStatus(backend.url, id, ['failed'], 10_000);
  assert.match(failed.error_message, /worker lost/);
  const workers = (await api(backend.url, '/api/v1/workers')).body;
  assert.equal(workers.length, 1, 'settled before the worker was even removed (30 s)');
});

test('a partitioned worker that comes back after removal keeps its op: the true outcome (completed) is stored', async (t) => {
  const { backend, worker } = await setup(t, { ORPHAN_TIMEOUT_SECONDS: '20', WORKER_REMOVAL_THRESHOLD_SECONDS: '1' });
  const w = await worker('part-1');
  await waitForWorkers(backend.url, 1);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 30, step_ms: 100 }) });
  const id = r.body.operation_id as string;
  await waitForStatus(backend.url, id, ['running']);
  process.kill(w.child.pid!, 'SIGSTOP');
  await waitFor('removal of the silent worker', async () => ((await api(backend.url, '/api/v1/workers')).body.length === 0 ? true : undefined), { timeoutMs: 10_000 });
  process.kill(w.child.pid!, 'SIGCONT');
  const done = await waitForStatus(backend.url, id, ['completed', 'failed'], 20_000);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.result_summary.steps, 30);
  await waitForWorkers(backend.url, 1);
});

test('hung peers never stall users: status and cancel answer from the last known state; the breaker skips a worker that just timed out', async (t) => {
  // Requests to a worker time out after an hour, longer than the runner lets a test live: a reply
  // that waited for the hung worker (as each of these did before, for the 10 s request timeout)
  // never comes while it is stopped. Health checks (60 s) stay out of the way.
  const { backend, worker } = await setup(t, {
    HEALTH_CHECK_INTERVAL_SECONDS: '60',
    WORKER_HEALTH_SILENCE_SECONDS: '120',
    WORKER_REQUEST_TIMEOUT_SECONDS: '3600',
  });
  const w1 = await worker('hang-1');
  await waitForWorkers(backend.url, 1);
  const w2 = await worker('hang-2');
  await waitForWorkers(backend.url, 2);
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 400, step_ms: 50 }) });
  assert.equal(r.body.worker_id, `hang-1-${process.pid}`);
  const id = r.body.operation_id as string;
  const running = await waitForStatus(backend.url, id, ['running']);
  process.kill(w1.child.pid!, 'SIGSTOP'); // released only at the end of the test
  const status = await api(backend.url, `/api/v1/operations/${id}?force_refresh=true`);
  assert.equal(status.status, 200);
  assert.equal(status.body.data.status, 'running', 'the last known state');
  assert.equal(status.body.data.worker_id, running.worker_id);
  const metrics = await api(backend.url, `/api/v1/operations/${id}/metrics`);
  assert.equal(metrics.status, 200, 'metrics answered from the store');
  const c = await api(backend.url, `/api/v1/operations/${id}/cancel`, { method: 'DELETE' });
  assert.equal(c.body.data.status, 'cancelled');
  const cancelled = (await api(backend.url, `/api/v1/operations/${id}`)).body.data;
  assert.match(cancelled.error_message, /worker did not confirm/, 'cancelled without the hung worker\'s word');

  // Least-recently-used selection now goes: hang-2 (never used), then hang-1 (hung: its start times
  // out once), then hang-1 again, but the breaker skips it for a while.
  const outcomes: string[][] = [];
  for (let i = 0; i < 3; i++) {
    const s = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 2, step_ms: 10 }) });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const op = await waitForStatus(backend.url, s.body.operation_id, ['completed']);
    outcomes.push(op.attempts.map((x: { worker_id: string; outcome: string }) => `${x.worker_id.replace(`-${process.pid}`, '')}:${x.outcome}`));
  }
  assert.deepEqual(outcomes, [['hang-2:completed'], ['hang-1:abandoned', 'hang-2:completed'], ['hang-2:completed']]);
  process.kill(w1.child.pid!, 'SIGCONT');
});

test('a worker refuses a task_id it already ran (409), and invalid start bodies (400)', async (t) => {
  const { backend, worker } = await setup(t);
  const w = await worker('dup-1');
  await waitForWorkers(backend.url, 1);
  const first = await api(w.url, '/backtests/start', { method: 'POST', body: { task_id: 'op_manual_1', fixture: { steps: 1 } } });
  assert.equal(first.status, 200);
  await waitFor('first run to end', async () => ((await api(w.url, '/health')).body.worker_status === 'idle' ? true : undefined));
  const again = await api(w.url, '/backtests/start', { method: 'POST', body: { task_id: 'op_manual_1', fixture: { steps: 1 } } });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'TASK_ALREADY_RUN');
  const bad = await api(w.url, '/backtests/start', { method: 'POST', body: { surprise: true } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.detail, /surprise/);
  void spawnNode;
  void FIXTURE_WORKER;
});

test('a backtest whose worker dies is re-queued and completes on another worker; attempts are recorded', async (t) => {
  const { dir, backend, worker } = await setup(t, { ORPHAN_TIMEOUT_SECONDS: '1', WORKER_REMOVAL_THRESHOLD_SECONDS: '30' });
  const w1 = await worker('retry-1');
  const w2 = await worker('retry-2');
  await waitForWorkers(backend.url, 2);
  const log = join(dir.path, 'runs.log');
  const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 40, step_ms: 50, run_log: log }) });
  const id = r.body.operation_id as string;
  const running = await waitForStatus(backend.url, id, ['running']);
  const [victim, survivor] = running.worker_id === w1.name ? [w1, w2] : [w2, w1];
  // Claimed is not yet started: kill it once its job code runs, so both attempts really ran.
  await waitFor('the job running on the victim', () => (runs(log).length === 1 ? true : undefined), { intervalMs: 10 });
  await victim.crash();
  const done = await waitForStatus(backend.url, id, ['completed', 'failed'], 20_000);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.deepEqual(
    done.attempts.map((a: { worker_id: string; outcome: string }) => [a.worker_id, a.outcome]),
    [[victim.name, 'lost'], [survivor.name, 'completed']],
  );
  assert.equal(runs(log).length, 2, 'one run per attempt, never two at once');

  // A failed op can be re-submitted with the same request.
  const bad = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody({ steps: 1, fail: 'boom' }) });
  await waitForStatus(backend.url, bad.body.operation_id, ['failed']);
  const again = await api(backend.url, `/api/v1/operations/${bad.body.operation_id}/retry`, { method: 'POST' });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.notEqual(again.body.operation_id, bad.body.operation_id);
  const retried = await waitForStatus(backend.url, again.body.operation_id, ['failed']);
  assert.equal(retried.error_message, 'boom');
  const notRetryable = await api(backend.url, `/api/v1/operations/${id}/retry`, { method: 'POST' });
  assert.equal(notRetryable.status, 400);
});
