import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { canTransition } from '../../src/core/operations/operation-state.js';
import { OperationsService } from '../../src/core/operations/operations-service.js';
import { SqliteOperationStore } from '../../src/core/operations/sqlite-operation-store.js';
import { HealthMonitor } from '../../src/core/registry/health-monitor.js';
import { WorkerRegistry } from '../../src/core/registry/worker-registry.js';
import { HttpWorkerClient } from '../../src/net/http-worker-client.js';
import { OPERATION_STATUSES, type OperationStatus } from '../../src/contracts/index.js';
import { tempDir } from '../helpers/cluster.js';

const log = pino({ level: 'silent' });

/** A service on a real SQLite file with injected wall and monotonic clocks. */
function setup(t: import('node:test').TestContext, opts: { maxAttempts?: number; orphanTimeoutMs?: number } = {}) {
  const dir = tempDir();
  const store = new SqliteOperationStore(join(dir.path, 'ops.db'));
  const clock = { wall: Date.parse('2026-01-01T00:00:00Z'), mono: 1_000 };
  const registry = new WorkerRegistry({ now: () => clock.wall, monotonicNow: () => clock.mono });
  const service = new OperationsService(
    { store, registry, client: new HttpWorkerClient({ requestTimeoutMs: 200 }), log, now: () => clock.wall, monotonicNow: () => clock.mono },
    { orphanTimeoutMs: opts.orphanTimeoutMs ?? 10_000, maxAttempts: () => opts.maxAttempts ?? 1 },
  );
  t.after(async () => {
    await service.close();
    store.close();
    dir.remove();
  });
  const register = (id: string, port = 9) =>
    registry.register({ worker_id: id, worker_type: 'backtesting', endpoint_url: `http://127.0.0.1:${port}`, boot_id: 'b1' }).worker;
  return { store, registry, service, clock, register };
}

const meta = { parameters: {} };

test('state machine: terminal states are final; nothing leaves them', () => {
  const terminal: OperationStatus[] = ['completed', 'failed', 'cancelled'];
  for (const from of terminal) for (const to of OPERATION_STATUSES) assert.equal(canTransition(from, to), false, `${from} → ${to}`);
  assert.equal(canTransition('queued', 'pending'), true);
  assert.equal(canTransition('queued', 'running'), false, 'a queued op must be dispatched (pending) first');
  assert.equal(canTransition('running', 'queued'), true, 'a lost op can be re-queued');
});

test('a cancel while the start request is in flight stays a cancel (no resurrection by the start reply)', (t) => {
  const { service, register, store } = setup(t);
  register('w1');
  const { op } = service.create('backtesting', meta, {});
  const opened = service.beginAttempt(op.operation_id, 'w1');
  assert.ok(opened);
  return service.cancel(op.operation_id, 'changed my mind').then((cancelled) => {
    assert.equal(cancelled.status, 'cancelled');
    // The start reply arrives after the cancel: it must not make the op running.
    const late = service.attemptAccepted(op.operation_id, opened.attemptId);
    assert.equal(late.kind, 'stale');
    assert.equal(store.get(op.operation_id)!.status, 'cancelled');
    // Nor may a completion report of that attempt.
    const report = service.report(op.operation_id, { attempt_id: opened.attemptId, status: 'completed', result_summary: { x: 1 } });
    assert.equal(report.kind, 'stale');
    const stored = store.get(op.operation_id)!;
    assert.equal(stored.status, 'cancelled');
    assert.equal(stored.result_summary, null);
    assert.equal(stored.attempts!.at(-1)!.outcome, 'cancelled');
  });
});

test('only the current attempt counts: reports of an abandoned attempt are stale', (t) => {
  const { service, register, store } = setup(t);
  register('w1');
  register('w2', 10);
  const { op } = service.create('backtesting', meta, {});
  const first = service.beginAttempt(op.operation_id, 'w1')!;
  service.attemptFailed(op.operation_id, first.attemptId, 'abandoned', 'start request timed out');
  // The hung worker wakes up and claims its attempt: refused, so its job never runs.
  assert.equal(service.report(op.operation_id, { attempt_id: first.attemptId, worker_id: 'w1', status: 'running' }).kind, 'stale');
  const second = service.beginAttempt(op.operation_id, 'w2')!;
  assert.equal(service.report(op.operation_id, { attempt_id: second.attemptId, worker_id: 'w2', status: 'running' }).kind, 'accepted');
  // A report naming the right attempt but the wrong worker is refused too.
  assert.equal(service.report(op.operation_id, { attempt_id: second.attemptId, worker_id: 'w1', status: 'completed' }).kind, 'stale');
  const done = service.report(op.operation_id, { attempt_id: second.attemptId, worker_id: 'w2', status: 'completed', result_summary: { ok: true } });
  assert.equal(done.kind, 'accepted');
  const stored = store.get(op.operation_id)!;
  assert.equal(stored.status, 'completed');
  assert.equal(stored.worker_id, 'w2');
  assert.deepEqual(stored.attempts!.map((a) => [a.worker_id, a.outcome]), [['w1', 'abandoned'], ['w2', 'completed']]);
});

test('a completed op never carries a cancel message, and its timestamps come from the backend clock', (t) => {
  const { service, register, store, clock } = setup(t);
  register('w1');
  const { op } = service.create('backtesting', meta, {});
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  clock.wall += 5_000;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  clock.wall += 60_000;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'completed', error_message: 'Cancelled: too late', result_summary: {} });
  const stored = store.get(op.operation_id)!;
  assert.equal(stored.error_message, null);
  assert.equal(stored.started_at, '2026-01-01T00:00:05.000Z');
  assert.equal(stored.completed_at, '2026-01-01T00:01:05.000Z');
});

test('a lost worker: the op says "worker unreachable" at once and is settled by the orphan timeout (monotonic)', (t) => {
  const { service, register, store, clock } = setup(t, { orphanTimeoutMs: 10_000 });
  const w = register('w1');
  const { op } = service.create('backtesting', meta, {});
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  w.unreachableSince = clock.mono;
  service.onWorkerUnreachable(w);
  assert.match(store.get(op.operation_id)!.status_detail ?? '', /^worker unreachable since 2026-01-01T00:00:00/);
  // A wall-clock step (NTP) must not settle it early.
  clock.wall += 3_600_000;
  service.sweepOrphans();
  assert.equal(store.get(op.operation_id)!.status, 'running');
  clock.mono += 10_001;
  service.sweepOrphans();
  const settled = store.get(op.operation_id)!;
  assert.equal(settled.status, 'failed');
  assert.match(settled.error_message!, /worker lost/);
  assert.equal(settled.attempts!.at(-1)!.outcome, 'lost');
});

test('a lost op with attempts left is re-queued, not failed', (t) => {
  const { service, register, registry, store, clock } = setup(t, { maxAttempts: 3, orphanTimeoutMs: 1_000 });
  const w = register('w1');
  const { op } = service.create('backtesting', meta, {});
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  registry.remove('w1');
  service.onWorkerRemoved(w);
  service.sweepOrphans();
  assert.equal(store.get(op.operation_id)!.status, 'running', 'not before the orphan timeout');
  clock.mono += 1_001;
  service.sweepOrphans();
  const requeued = store.get(op.operation_id)!;
  assert.equal(requeued.status, 'queued');
  assert.equal(requeued.worker_id, null);
  assert.match(requeued.status_detail!, /re-queued after attempt 1/);
  assert.deepEqual(requeued.attempts!.map((x) => x.outcome), ['lost']);
  // The lost worker's late report is stale: the queue owns the op now.
  assert.equal(service.report(op.operation_id, { attempt_id: a.attemptId, status: 'completed' }).kind, 'stale');
});

test('health monitor: removal uses the monotonic clock; a wall-clock jump removes nobody', async (t) => {
  const clock = { wall: 0, mono: 0 };
  const registry = new WorkerRegistry({ now: () => clock.wall, monotonicNow: () => clock.mono });
  registry.register({ worker_id: 'w', worker_type: 'backtesting', endpoint_url: 'http://127.0.0.1:9' });
  const removed: string[] = [];
  const unreachable: string[] = [];
  const monitor = new HealthMonitor(
    {
      registry,
      client: new HttpWorkerClient(),
      log,
      now: () => clock.wall,
      monotonicNow: () => clock.mono,
      onRemoved: (w) => removed.push(w.workerId),
      onUnreachable: (w) => unreachable.push(w.workerId),
    },
    { timeoutMs: 200, failureThreshold: 2, removalThresholdMs: 60_000 },
  );
  t.after(() => monitor.close());
  await monitor.checkAll();
  await monitor.checkAll();
  assert.deepEqual(unreachable, ['w']);
  assert.equal(registry.get('w')!.status, 'temporarily_unavailable');
  clock.wall += 10 * 3_600_000; // NTP step of ten hours
  await monitor.checkAll();
  assert.deepEqual(removed, [], 'a wall-clock step must not remove a worker');
  clock.mono += 60_001;
  await monitor.checkAll();
  assert.deepEqual(removed, ['w']);
});

test('a fast job that claims, runs and reports before the start reply is read counts as dispatched, not ended', (t) => {
  const { service, register, store } = setup(t);
  register('w1');
  const { op } = service.create('backtesting', meta, {});
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'completed', result_summary: {} });
  // The 200 from the worker arrives now: stale for the state machine, but the attempt was claimed.
  assert.equal(service.attemptAccepted(op.operation_id, a.attemptId).kind, 'stale');
  assert.equal(service.attemptWasClaimed(op.operation_id, a.attemptId), true);
  assert.equal(store.get(op.operation_id)!.status, 'completed');
  // Whereas an attempt cancelled before the worker claimed it was never claimed.
  const { op: other } = service.create('backtesting', meta, {});
  const b = service.beginAttempt(other.operation_id, 'w1')!;
  return service.cancel(other.operation_id).then(() => {
    assert.equal(service.attemptWasClaimed(other.operation_id, b.attemptId), false);
  });
});
