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
import { emptyProgress, OPERATION_STATUSES, type OperationStatus } from '../../src/contracts/index.js';
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
    await store.close();
    dir.remove();
  });
  /** The op as the store has it once the service's writes for it landed. */
  const read = async (id: string) => {
    await service.persisted(id);
    return (await store.get(id))!;
  };
  const register = (id: string, port = 9) =>
    registry.register({ worker_id: id, worker_type: 'backtesting', endpoint_url: `http://127.0.0.1:${port}`, boot_id: 'b1' }).worker;
  return { store, registry, service, clock, register, read };
}

const meta = { parameters: {} };

test('state machine: terminal states are final; nothing leaves them', () => {
  const terminal: OperationStatus[] = ['completed', 'failed', 'cancelled'];
  for (const from of terminal) for (const to of OPERATION_STATUSES) assert.equal(canTransition(from, to), false, `${from} → ${to}`);
  assert.equal(canTransition('queued', 'pending'), true);
  assert.equal(canTransition('queued', 'running'), false, 'a queued op must be dispatched (pending) first');
  assert.equal(canTransition('running', 'queued'), true, 'a lost op can be re-queued');
});

test('a cancel while the start request is in flight stays a cancel (no resurrection by the start reply)', async (t) => {
  const { service, register, read } = setup(t);
  register('w1');
  const { op } = service.create('backtesting', meta, {});
  const opened = service.beginAttempt(op.operation_id, 'w1');
  assert.ok(opened);
  return service.cancel(op.operation_id, 'changed my mind').then(async (cancelled) => {
    assert.equal(cancelled.status, 'cancelled');
    // The start reply arrives after the cancel: it must not make the op running.
    const late = service.attemptAccepted(op.operation_id, opened.attemptId);
    assert.equal(late.kind, 'stale');
    assert.equal((await read(op.operation_id)).status, 'cancelled');
    // Nor may a completion report of that attempt.
    const report = service.report(op.operation_id, { attempt_id: opened.attemptId, status: 'completed', result_summary: { x: 1 } });
    assert.equal(report.kind, 'stale');
    const stored = (await read(op.operation_id));
    assert.equal(stored.status, 'cancelled');
    assert.equal(stored.result_summary, null);
    assert.equal(stored.attempts!.at(-1)!.outcome, 'cancelled');
  });
});

test('only the current attempt counts: reports of an abandoned attempt are stale', async (t) => {
  const { service, register, read } = setup(t);
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
  const stored = (await read(op.operation_id));
  assert.equal(stored.status, 'completed');
  assert.equal(stored.worker_id, 'w2');
  assert.deepEqual(stored.attempts!.map((a) => [a.worker_id, a.outcome]), [['w1', 'abandoned'], ['w2', 'completed']]);
});

test('a completed op never carries a cancel message, and its timestamps come from the backend clock', async (t) => {
  const { service, register, read, clock } = setup(t);
  register('w1');
  const { op } = service.create('backtesting', meta, {});
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  clock.wall += 5_000;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  clock.wall += 60_000;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'completed', error_message: 'Cancelled: too late', result_summary: {} });
  const stored = (await read(op.operation_id));
  assert.equal(stored.error_message, null);
  assert.equal(stored.started_at, '2026-01-01T00:00:05.000Z');
  assert.equal(stored.completed_at, '2026-01-01T00:01:05.000Z');
});

test('a lost worker: the op says "worker unreachable" at once and is settled by the orphan timeout (monotonic)', async (t) => {
  const { service, register, read, clock, registry } = setup(t, { orphanTimeoutMs: 10_000 });
  const w = register('w1');
  const { op } = service.create('backtesting', meta, {});
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  assert.equal(registry.recordProbeFailure('w1', { failureThreshold: 1, removalThresholdMs: Infinity })?.becameUnreachable, true);
  service.onWorkerUnreachable(w);
  assert.match((await read(op.operation_id)).status_detail ?? '', /^worker unreachable since 2026-01-01T00:00:00/);
  // A wall-clock step (NTP) must not settle it early.
  clock.wall += 3_600_000;
  service.sweepOrphans();
  assert.equal((await read(op.operation_id)).status, 'running');
  clock.mono += 10_001;
  service.sweepOrphans();
  const settled = (await read(op.operation_id));
  assert.equal(settled.status, 'failed');
  assert.match(settled.error_message!, /worker lost/);
  assert.equal(settled.attempts!.at(-1)!.outcome, 'lost');
});

test('a lost op with attempts left is re-queued, not failed', async (t) => {
  const { service, register, registry, read, clock } = setup(t, { maxAttempts: 3, orphanTimeoutMs: 1_000 });
  const w = register('w1');
  const { op } = service.create('backtesting', meta, {});
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  registry.remove('w1');
  service.onWorkerRemoved(w);
  service.sweepOrphans();
  assert.equal((await read(op.operation_id)).status, 'running', 'not before the orphan timeout');
  clock.mono += 1_001;
  service.sweepOrphans();
  const requeued = (await read(op.operation_id));
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

test('a fast job that claims, runs and reports before the start reply is read counts as dispatched, not ended', async (t) => {
  const { service, register, read } = setup(t);
  register('w1');
  const { op } = service.create('backtesting', meta, {});
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'completed', result_summary: {} });
  // The 200 from the worker arrives now: stale for the state machine, but the attempt was claimed.
  assert.equal(service.attemptAccepted(op.operation_id, a.attemptId).kind, 'stale');
  assert.equal(service.attemptWasClaimed(op.operation_id, a.attemptId), true);
  assert.equal((await read(op.operation_id)).status, 'completed');
  // Whereas an attempt cancelled before the worker claimed it was never claimed.
  const { op: other } = service.create('backtesting', meta, {});
  const b = service.beginAttempt(other.operation_id, 'w1')!;
  return service.cancel(other.operation_id).then(() => {
    assert.equal(service.attemptWasClaimed(other.operation_id, b.attemptId), false);
  });
});

test('status polls of active and lately ended ops are answered from memory: the store is only written', async (t) => {
  const { service, register, store } = setup(t);
  const reads: string[] = [];
  // Every store read the service makes from here on is recorded.
  for (const name of ['get', 'list', 'listActive', 'listQueued', 'dispatchOf', 'getRequest', 'getMetrics', 'getResult'] as const) {
    const original = store[name].bind(store) as (...args: unknown[]) => unknown;
    (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      reads.push(name);
      return original(...args);
    };
  }
  register('w1');
  const { op } = service.create('backtesting', meta, {}, { status: 'queued' });
  assert.equal((await service.get(op.operation_id)).status, 'queued');
  const a = service.beginAttempt(op.operation_id, 'w1')!;
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'running', progress: { ...emptyProgress(), percentage: 40 } });
  // The worker (port 9) is unreachable: the poll answers the last known state within its budget.
  for (let i = 0; i < 3; i++) assert.equal((await service.get(op.operation_id)).progress.percentage, 40);
  service.report(op.operation_id, { attempt_id: a.attemptId, status: 'completed', result_summary: { ok: true } });
  assert.equal((await service.get(op.operation_id)).status, 'completed');
  await service.persisted(op.operation_id);
  assert.deepEqual(reads, [], 'no store read for a poll');
  // History is the store's.
  assert.equal((await service.list({ limit: 10, offset: 0 })).total, 1);
  assert.deepEqual(reads, ['list']);
});

test('an attempt a previous backend opened and its worker never claimed is settled by the next health report', async (t) => {
  const { service, register, store, clock, registry } = setup(t, { maxAttempts: 2 });
  const w = register('w1');
  const { op } = service.create('backtesting', meta, {}, { status: 'queued' });
  service.beginAttempt(op.operation_id, 'w1');
  await service.persisted(op.operation_id);
  // The backend dies with the start request (or the worker's claim) in flight, and comes back.
  clock.wall += 1_000;
  const restarted = new OperationsService(
    { store, registry, client: new HttpWorkerClient({ requestTimeoutMs: 200 }), log, now: () => clock.wall, monotonicNow: () => clock.mono },
    { maxAttempts: () => 2 },
  );
  await restarted.load();
  t.after(() => restarted.close());
  await restarted.onHealthReport(w, { current_operation: null });
  assert.equal(restarted.peek(op.operation_id).status, 'pending', 'not within the hand-over grace: a claim may still be on its way');
  clock.wall += 5_000;
  await restarted.onHealthReport(w, { current_operation: null });
  const settled = restarted.peek(op.operation_id);
  assert.equal(settled.status, 'queued', 'the worker never claimed it: re-queued (attempts left)');
  assert.equal(settled.attempts!.at(-1)!.outcome, 'lost');
  // An attempt this process opens is left alone: its start request may be in flight.
  const again = restarted.beginAttempt(op.operation_id, 'w1')!;
  clock.wall += 60_000;
  await restarted.onHealthReport(w, { current_operation: null });
  assert.equal(restarted.peek(op.operation_id).attempts!.at(-1)!.attempt_id, again.attemptId);
  assert.equal(restarted.peek(op.operation_id).status, 'pending');
});

test("a queued op taken and started in one go (a hand-over) is one store write, a claim of the running row; a later change after another of its writes stays behind it", async (t) => {
  const { store, service, register, read } = setup(t);
  register('w1');
  const { op } = service.create('backtesting', meta, {}, { status: 'queued' });
  await service.persisted(op.operation_id);
  const writes: string[] = [];
  const claim = store.claim.bind(store);
  const update = store.update.bind(store);
  const saveMetrics = store.saveMetrics.bind(store);
  store.claim = async (row) => (writes.push(`claim ${row.status}`), claim(row));
  store.update = async (row) => (writes.push(`update ${row.status}`), update(row));
  store.saveMetrics = async (id, m) => (writes.push('metrics'), saveMetrics(id, m));

  // What Scheduler.assignTo does for a hand-over: open the attempt, then claim it as running.
  const opened = service.beginAttempt(op.operation_id, 'w1')!;
  assert.equal(service.report(op.operation_id, { attempt_id: opened.attemptId, worker_id: 'w1', status: 'running' }).kind, 'accepted');
  assert.equal((await read(op.operation_id)).status, 'running');
  assert.deepEqual(writes, ['claim running'], 'one write: the claim lands the running row');

  // In one go again: a row change, then the final report with metrics. The final row is written
  // after the metrics (same op, same chain), not merged into the row write queued before them.
  writes.length = 0;
  service.report(op.operation_id, { attempt_id: opened.attemptId, worker_id: 'w1', status: 'running', progress: { ...emptyProgress(), percentage: 50 } });
  service.report(op.operation_id, { attempt_id: opened.attemptId, worker_id: 'w1', status: 'completed', metrics: [{ epoch: 1 }], result_summary: { x: 1 } });
  const stored = await read(op.operation_id);
  assert.deepEqual(writes, ['update running', 'metrics', 'update completed']);
  assert.equal(stored.status, 'completed');
  assert.deepEqual(stored.attempts!.map((a) => a.outcome), ['completed']);
});

test('a job given ahead, given back and handed out again in one go: the re-queue is written before the new claim, which is not mistaken for another backend’s', async (t) => {
  const { store, service, register, read } = setup(t);
  register('w1');
  register('w2');
  const { op } = service.create('backtesting', meta, {}, { status: 'queued' });
  const ahead = service.beginAttempt(op.operation_id, 'w1', { prefetched: true })!;
  await service.persisted(op.operation_id);
  assert.equal((await read(op.operation_id)).status, 'pending');
  const writes: string[] = [];
  const claim = store.claim.bind(store);
  const update = store.update.bind(store);
  store.claim = async (row) => (writes.push(`claim ${row.status}`), claim(row));
  store.update = async (row) => (writes.push(`update ${row.status}`), update(row));

  // w1 gave it back; the scheduler hands it to w2 before any of these writes ran.
  assert.equal(service.releasePrefetched(op.operation_id, ahead.attemptId, 'w1 did not start it'), true);
  const again = service.beginAttempt(op.operation_id, 'w2')!;
  await service.persisted(op.operation_id);
  assert.deepEqual(writes, ['update queued', 'claim pending'], 'the claim is checked against the queued row');
  const stored = await read(op.operation_id);
  assert.equal(stored.status, 'pending');
  assert.deepEqual(stored.attempts!.map((a) => [a.worker_id, a.outcome, a.prefetched === true]), [
    ['w1', 'abandoned', true],
    ['w2', 'offered', false],
  ]);
  assert.equal(service.attemptIsCurrent(op.operation_id, again.attemptId), true, 'still this backend’s to run');
});
