/**
 * Dispatcher against scripted fake workers (real HTTP), a real OperationsService on SQLite and a
 * registry on an injected monotonic clock: attempt ids (fencing tokens), 503 → next worker, the
 * start timeout and its circuit breaker, 409 and 4xx refusals, and the attempt budget.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { Dispatcher, type DispatchTarget } from '../../src/core/dispatch/dispatcher.js';
import { OperationsService } from '../../src/core/operations/operations-service.js';
import { SqliteOperationStore } from '../../src/core/operations/sqlite-operation-store.js';
import { WorkerRegistry } from '../../src/core/registry/worker-registry.js';
import { HttpWorkerClient } from '../../src/net/http-worker-client.js';
import { tempDir } from '../helpers/cluster.js';
import { startFakeWorker, type FakeWorker, type RecordedRequest, type Reply } from './helpers/fake-worker.js';

const log = pino({ level: 'silent' });
const START = '/backtests/start';
const target: DispatchTarget = { workerType: 'backtesting', startPath: START, payload: { strategy_name: 's' } };

async function setup(t: TestContext, options: { maxAttempts?: number; startTimeoutMs?: number; cooldownMs?: number } = {}) {
  const dir = tempDir();
  const store = new SqliteOperationStore(join(dir.path, 'ops.db'));
  const clock = { wall: Date.parse('2026-01-01T00:00:00Z'), mono: 1_000 };
  const registry = new WorkerRegistry({ now: () => clock.wall, monotonicNow: () => clock.mono });
  const client = new HttpWorkerClient({ requestTimeoutMs: 2_000 });
  const operations = new OperationsService(
    { store, registry, client, log, now: () => clock.wall, monotonicNow: () => clock.mono },
    { orphanTimeoutMs: 60_000, maxAttempts: () => 1 },
  );
  const retries: string[] = [];
  const dispatcher = new Dispatcher(
    { registry, client, operations, log, onRetry: (type, reason) => void retries.push(`${type}:${reason}`) },
    { maxAttempts: 3, startTimeoutMs: 2_000, ...options },
  );
  const workers: FakeWorker[] = [];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await operations.close();
    store.close();
    dir.remove();
  });
  /** Registers a fake worker whose start replies follow `start`; anything else gets 200 {}. */
  const add = async (id: string, start: (req: RecordedRequest) => Reply | Promise<Reply>) => {
    const fake = await startFakeWorker((req) => (req.path === START ? start(req) : { status: 200, body: {} }));
    workers.push(fake);
    registry.register({ worker_id: id, worker_type: 'backtesting', endpoint_url: fake.url });
    return fake;
  };
  const newOp = () => operations.create('backtesting', { parameters: {} }, {}).op.operation_id;
  return { clock, registry, operations, dispatcher, retries, add, newOp };
}

const ok = (req: RecordedRequest): Reply => ({ status: 200, body: { operation_id: req.body?.['task_id'], worker_id: 'x' } });
const busy: Reply = { status: 503, body: { error: 'busy', current_operation: 'op-other' } };
const startsOf = (fake: FakeWorker) => fake.requests.filter((r) => r.path === START);

test('the start body carries task_id and a fresh attempt_id per try; a busy worker (503) is skipped for another', async (t) => {
  const { registry, operations, dispatcher, retries, add, newOp } = await setup(t);
  const a = await add('a', () => busy);
  const b = await add('b', ok);
  const id = newOp();
  const outcome = await dispatcher.dispatch(id, target);
  assert.deepEqual(outcome, { kind: 'dispatched', workerId: 'b', attempts: 2 });
  const [toA] = startsOf(a);
  const [toB] = startsOf(b);
  assert.equal(toA!.body!['task_id'], id);
  assert.equal(toB!.body!['task_id'], id);
  assert.equal(toB!.body!['strategy_name'], 's', 'the payload is passed on');
  assert.notEqual(toA!.body!['attempt_id'], toB!.body!['attempt_id']);
  const op = operations.peek(id);
  assert.equal(op.status, 'running');
  assert.deepEqual(op.attempts!.map((x) => [x.worker_id, x.attempt_id, x.outcome]), [
    ['a', toA!.body!['attempt_id'], 'abandoned'],
    ['b', toB!.body!['attempt_id'], 'running'],
  ]);
  assert.equal(registry.get('a')!.status, 'busy', 'a 503 says the worker is busy with another op');
  assert.equal(registry.get('a')!.currentOperationId, 'op-other');
  assert.equal(registry.get('b')!.currentOperationId, id);
  assert.deepEqual(retries, ['backtesting:busy']);
});

test('start timeout: the attempt is abandoned, the worker told to cancel and skipped by the breaker until its cooldown ends', { timeout: 30_000 }, async (t) => {
  const { clock, registry, operations, dispatcher, retries, add, newOp } = await setup(t, { startTimeoutMs: 200, cooldownMs: 30_000 });
  const hung = await add('hung', () => 'hang');
  await add('ok', ok);
  const id = newOp();
  const outcome = await dispatcher.dispatch(id, target);
  assert.deepEqual(outcome, { kind: 'dispatched', workerId: 'ok', attempts: 2 });
  const first = operations.peek(id).attempts![0]!;
  assert.equal(first.worker_id, 'hung');
  assert.equal(first.outcome, 'abandoned');
  assert.match(first.detail ?? '', /start request failed/);
  assert.deepEqual(retries, ['backtesting:unreachable']);
  // The cancel goes out without being awaited by dispatch; the test times out if it never comes.
  const cancel = await hung.received((r) => r.path === `/api/v1/operations/${id}/cancel`);
  assert.equal(cancel.method, 'DELETE', 'the timed-out worker is told to cancel');

  const w = registry.get('hung')!;
  assert.equal(w.status, 'available', 'not busy: it never claimed the attempt');
  assert.equal(registry.isEligible(w), false, 'cooling down');
  clock.mono += 29_999;
  assert.equal(registry.isEligible(w), false);
  clock.mono += 1;
  assert.equal(registry.isEligible(w), true, 'the breaker closes after cooldownMs (monotonic)');
});

test('409 (the worker already ran this task id) tries another worker; a 4xx refusal is final and frees the worker', async (t) => {
  const { registry, operations, dispatcher, add, newOp } = await setup(t);
  await add('ran-it', () => ({ status: 409, body: { detail: 'already ran' } }));
  await add('ok', ok);
  const first = newOp();
  assert.deepEqual(await dispatcher.dispatch(first, target), { kind: 'dispatched', workerId: 'ok', attempts: 2 });
  assert.equal(registry.get('ran-it')!.status, 'available');

  registry.remove('ok');
  registry.remove('ran-it');
  await add('picky', () => ({ status: 400, body: { detail: 'body/start_date: bad date' } }));
  await add('spare', ok);
  const second = newOp();
  const outcome = await dispatcher.dispatch(second, target);
  assert.equal(outcome.kind, 'rejected');
  assert.equal(outcome.kind === 'rejected' && outcome.message, 'body/start_date: bad date');
  assert.equal(registry.get('picky')!.status, 'available');
  assert.equal(operations.peek(second).attempts!.at(-1)!.outcome, 'rejected');
});

test('the attempt budget: with every worker busy, no_worker after maxAttempts tries, each worker tried once', async (t) => {
  const { dispatcher, add, newOp } = await setup(t, { maxAttempts: 2 });
  const fakes = await Promise.all(['a', 'b', 'c'].map((id) => add(id, () => busy)));
  const outcome = await dispatcher.dispatch(newOp(), target);
  assert.equal(outcome.kind, 'no_worker');
  assert.equal(outcome.kind === 'no_worker' && outcome.attempts, 2);
  assert.equal(outcome.kind === 'no_worker' && outcome.registeredWorkers, 3);
  assert.deepEqual(fakes.map((f) => startsOf(f).length).sort(), [0, 1, 1]);
});

test('a cancelled operation is not dispatched', async (t) => {
  const { operations, dispatcher, add, newOp } = await setup(t);
  const fake = await add('a', ok);
  const id = newOp();
  await operations.cancel(id, 'changed my mind');
  assert.deepEqual(await dispatcher.dispatch(id, target), { kind: 'ended', status: 'cancelled' });
  assert.equal(startsOf(fake).length, 0);
});

test('a queued op another backend on the same store claimed first: no start request goes out, the worker is free again', async (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  const path = join(dir.path, 'ops.db');
  const store = new SqliteOperationStore(path);
  const other = new SqliteOperationStore(path);
  const registry = new WorkerRegistry();
  const client = new HttpWorkerClient({ requestTimeoutMs: 2_000 });
  const operations = new OperationsService({ store, registry, client, log });
  const dispatcher = new Dispatcher({ registry, client, operations, log });
  const fake = await startFakeWorker((req) => (req.path === START ? ok(req) : { status: 200, body: {} }));
  t.after(async () => {
    await fake.close();
    await operations.close();
    store.close();
    other.close();
  });
  registry.register({ worker_id: 'w', worker_type: 'backtesting', endpoint_url: fake.url });
  const id = operations.create('backtesting', { parameters: {} }, {}, { status: 'queued', dispatch: target }).op.operation_id;
  await operations.persisted(id);
  // The other backend's claim lands first.
  const row = (await other.get(id))!;
  assert.equal(await other.claim({ ...row, status: 'pending', worker_id: 'theirs' }), true);
  assert.deepEqual(await dispatcher.dispatch(id, target), { kind: 'claimed_elsewhere' });
  assert.deepEqual(startsOf(fake), [], 'nothing was sent to the worker');
  assert.equal(registry.get('w')!.status, 'available');
  assert.equal(operations.known(id), undefined, 'this backend forgot it');
  assert.equal((await store.get(id))!.worker_id, 'theirs', 'the row is the winner\'s');
});
