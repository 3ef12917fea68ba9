/**
 * The OperationStore contract: the same cases run against every store (SQLite and PostgreSQL), so
 * the backend behaves the same whichever one KTRDR_DATABASE_URL / KTRDR_DB_PATH picks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { emptyProgress, type Operation, type OperationStatus } from '../../src/contracts/index.js';
import { OperationsService } from '../../src/core/operations/operations-service.js';
import type { OperationStore } from '../../src/core/operations/operation-store.js';
import { WorkerRegistry } from '../../src/core/registry/worker-registry.js';
import { HttpWorkerClient } from '../../src/net/http-worker-client.js';

export interface StoreHarness {
  /** Opens the store on a database of its own (each call of `fresh` a new one). */
  fresh(): Promise<{ open(): Promise<OperationStore>; drop(): Promise<void> }>;
}

let n = 0;
function op(status: OperationStatus, fields: Partial<Operation> = {}): Operation {
  n++;
  return {
    operation_id: `op_test_${process.pid}_${n}`,
    operation_type: 'backtesting',
    status,
    worker_id: null,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    started_at: null,
    completed_at: null,
    progress: emptyProgress(),
    metadata: { symbol: 'EURUSD', timeframe: '1h', parameters: { nested: { a: [1, 2.5, 'x'] }, unicode: 'é✓' } },
    error_message: null,
    result_summary: null,
    status_detail: null,
    attempts: [],
    priority: 0,
    max_attempts: 1,
    ...fields,
  };
}

const target = (workerType: string) => ({ workerType, startPath: '/start', payload: { k: 1 } });

export function storeContract(name: string, harness: StoreHarness): void {
  /** A store on a fresh database, closed and dropped after the test. */
  async function setup(t: import('node:test').TestContext) {
    const db = await harness.fresh();
    const opened: OperationStore[] = [];
    const open = async () => {
      const s = await db.open();
      opened.push(s);
      return s;
    };
    t.after(async () => {
      for (const s of opened) await s.close();
      await db.drop();
    });
    return { store: await open(), open };
  }

  test(`${name}: an operation round-trips with its request, dispatch target and sequence`, async (t) => {
    const { store } = await setup(t);
    assert.equal(await store.maxSeq(), 0);
    const a = op('queued', {
      priority: 5,
      max_attempts: 3,
      attempts: [{ attempt_id: 'att_1', worker_id: 'w1', started_at: '2026-01-01T00:00:00.000Z', ended_at: null, outcome: 'offered' }],
      status_detail: 'waiting',
      result_summary: { x: 1, y: [0.1, null] },
    });
    await store.insert(a, { strategy: 's', big: 12345678901 }, target('backtesting'), 7);
    assert.deepEqual(await store.get(a.operation_id), a);
    assert.deepEqual(await store.getRequest(a.operation_id), { strategy: 's', big: 12345678901 });
    assert.deepEqual(await store.dispatchOf(a.operation_id), { operationId: a.operation_id, seq: 7, priority: 5, dispatch: target('backtesting') });
    assert.equal(await store.maxSeq(), 7);
    const b = op('pending');
    await store.insert(b, null, undefined, 8);
    assert.equal((await store.dispatchOf(b.operation_id))!.dispatch, undefined);
    assert.equal(await store.get('op_missing'), undefined);
    assert.equal(await store.getRequest('op_missing'), undefined);
    await assert.rejects(store.insert(a, {}, undefined, 9), 'the same operation id twice is refused');
  });

  test(`${name}: terminal rows are final: an update of a terminal row writes nothing`, async (t) => {
    const { store } = await setup(t);
    const a = op('running', { worker_id: 'w1' });
    await store.insert(a, {}, undefined, 1);
    assert.equal(await store.update({ ...a, progress: { ...a.progress, percentage: 50 } }), true);
    assert.equal((await store.get(a.operation_id))!.progress.percentage, 50);
    const done = { ...a, status: 'completed' as const, completed_at: '2026-01-01T01:00:00.000Z', result_summary: { ok: true } };
    assert.equal(await store.update(done), true);
    assert.equal(await store.update({ ...done, status: 'running', result_summary: null }), false);
    assert.equal(await store.update({ ...done, status: 'failed', error_message: 'late' }), false);
    assert.deepEqual(await store.get(a.operation_id), done);
    assert.equal(await store.update(op('running')), false, 'an unknown op is not created by update');
  });

  test(`${name}: updated_at is stamped by the database clock on insert and update`, async (t) => {
    const { store } = await setup(t);
    const a = op('queued', { created_at: '2001-01-01T00:00:00.000Z' });
    const before = Date.now();
    await store.insert(a, {}, undefined, 1);
    const inserted = await store.updatedAt(a.operation_id);
    assert.ok(inserted, 'stamped on insert');
    // The database's clock, not the operation's own timestamps (which the backend stamps).
    assert.ok(Math.abs(Date.parse(inserted) - before) < 60_000, `${inserted} is now`);
    await new Promise((r) => setTimeout(r, 20));
    await store.update({ ...a, status: 'pending' });
    const updated = await store.updatedAt(a.operation_id);
    assert.ok(Date.parse(updated!) > Date.parse(inserted), `${updated} after ${inserted}`);
    assert.equal(await store.updatedAt('op_missing'), undefined);
  });

  test(`${name}: list is newest first with filters, totals and the active count; listActive is oldest first`, async (t) => {
    const { store } = await setup(t);
    const ops = [op('completed'), op('running'), op('queued', { operation_type: 'training' }), op('failed'), op('pending')];
    for (const [i, o] of ops.entries()) await store.insert(o, {}, i === 2 ? target('training') : undefined, i + 1);
    const all = await store.list({ limit: 10, offset: 0 });
    assert.deepEqual(all.items.map((o) => o.operation_id), ops.map((o) => o.operation_id).reverse());
    assert.equal(all.total, 5);
    assert.equal(all.active, 3);
    const page = await store.list({ limit: 2, offset: 1 });
    assert.deepEqual(page.items.map((o) => o.operation_id), [ops[3]!.operation_id, ops[2]!.operation_id]);
    assert.equal(page.total, 5);
    assert.deepEqual((await store.list({ status: 'running', limit: 10, offset: 0 })).items.map((o) => o.operation_id), [ops[1]!.operation_id]);
    const training = await store.list({ operationType: 'training', limit: 10, offset: 0 });
    assert.equal(training.total, 1);
    const active = await store.list({ activeOnly: true, limit: 10, offset: 0 });
    assert.deepEqual(active.items.map((o) => o.status), ['pending', 'queued', 'running']);
    const act = await store.listActive();
    assert.deepEqual(act.map((r) => [r.op.operation_id, r.seq]), [[ops[1]!.operation_id, 2], [ops[2]!.operation_id, 3], [ops[4]!.operation_id, 5]]);
    assert.deepEqual(act[1]!.dispatch, target('training'));
    const counts = await store.countByTypeAndStatus();
    const key = (r: { operation_type: string; status: string; count: number }) => `${r.operation_type}/${r.status}=${r.count}`;
    assert.deepEqual(counts.map(key).sort(), ['backtesting/completed=1', 'backtesting/failed=1', 'backtesting/pending=1', 'backtesting/running=1', 'training/queued=1']);
  });

  test(`${name}: the queue: listQueued goes by priority, then sequence; claim takes a row out of it only while it is queued`, async (t) => {
    const { store } = await setup(t);
    const low = op('queued', { priority: 0 });
    const high = op('queued', { priority: 9 });
    const lowLater = op('queued', { priority: 0 });
    const gpu = op('queued', { priority: 1, operation_type: 'training' });
    const running = op('running');
    await store.insert(low, {}, target('backtesting'), 1);
    await store.insert(high, {}, target('backtesting'), 2);
    await store.insert(lowLater, {}, target('backtesting'), 3);
    await store.insert(gpu, {}, target('training'), 4);
    await store.insert(running, {}, target('backtesting'), 5);
    assert.deepEqual((await store.listQueued()).map((r) => r.operationId), [high, gpu, low, lowLater].map((o) => o.operation_id));
    const attempt = { attempt_id: 'att_1', worker_id: 'w1', started_at: '2026-01-01T00:00:00.000Z', ended_at: null, outcome: 'offered' as const };
    const taken = { ...high, status: 'pending' as const, worker_id: 'w1', attempts: [attempt] };
    assert.equal(await store.claim(taken), true, 'a queued row is claimed');
    assert.deepEqual(await store.get(high.operation_id), taken, 'the claim writes the whole new state');
    assert.equal(await store.claim({ ...taken, worker_id: 'w2' }), false, 'a row that left the queue is not claimed again');
    assert.equal((await store.get(high.operation_id))!.worker_id, 'w1');
    assert.equal(await store.claim({ ...running, status: 'running', worker_id: 'w9' }), false, 'a running row is not claimed');
    assert.equal(await store.claim({ ...op('pending'), status: 'pending' }), false, 'a missing row is not claimed');
    assert.deepEqual((await store.listQueued()).map((r) => r.operationId), [gpu, low, lowLater].map((o) => o.operation_id));
  });

  test(`${name}: two backends claiming the same queued ops at once: each op is taken exactly once`, async (t) => {
    const { store, open } = await setup(t);
    // A second connection (pool) on the same database, as a second backend would have.
    const other = await open();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const o = op('queued', { priority: i % 3 });
      ids.push(o.operation_id);
      await store.insert(o, {}, target('backtesting'), i + 1);
    }
    const claims = await Promise.all(
      ids.flatMap((id) =>
        (['a', 'b'] as const).map(async (who) => {
          const mine = { ...(await store.get(id))!, status: 'pending' as const, worker_id: `worker_${who}` };
          return (await (who === 'a' ? store : other).claim(mine)) ? `${id}:${who}` : undefined;
        }),
      ),
    );
    const won = claims.filter((c) => c !== undefined);
    assert.equal(won.length, 12, `every queued op claimed once, got ${won.join(' ')}`);
    assert.deepEqual(won.map((w) => w.split(':')[0]).sort(), [...ids].sort(), 'none twice');
    for (const w of won) {
      const [id, who] = w.split(':');
      assert.equal((await store.get(id!))!.worker_id, `worker_${who}`, 'the stored row is the winner\'s');
    }
    assert.deepEqual(await store.listQueued(), []);
  });

  test(`${name}: two operations services on one store: the second to dispatch a queued op loses the claim, forgets it and frees its worker`, async (t) => {
    const { store, open } = await setup(t);
    const log = pino({ level: 'silent' });
    const client = new HttpWorkerClient({ requestTimeoutMs: 200 });
    const first = new OperationsService({ store, registry: new WorkerRegistry(), client, log });
    await first.load();
    const { op: queued } = first.create('backtesting', { parameters: {} }, { req: 1 }, { status: 'queued', dispatch: target('backtesting') });
    await first.persisted(queued.operation_id);
    // A second backend on the same store (say, the new one of a rolling restart) loads the same queue.
    const registry2 = new WorkerRegistry();
    registry2.register({ worker_id: 'w2', worker_type: 'backtesting', endpoint_url: 'http://127.0.0.1:9', boot_id: 'b2' });
    const claimedElsewhere: string[] = [];
    const second = new OperationsService({ store: await open(), registry: registry2, client, log, listener: { onClaimedElsewhere: (id) => claimedElsewhere.push(id) } });
    await second.load();
    assert.deepEqual(second.active().map((o) => o.operation_id), [queued.operation_id]);
    // The first one dispatches it (its claim lands), then the second tries.
    const mine = first.beginAttempt(queued.operation_id, 'w1')!;
    await first.persisted(queued.operation_id);
    registry2.markBusy('w2', queued.operation_id);
    assert.ok(second.beginAttempt(queued.operation_id, 'w2'), 'decided in memory: it still looked queued here');
    await assert.rejects(second.persisted(queued.operation_id), (err: Error) => err.name === 'ClaimedElsewhereError');
    assert.deepEqual(second.active(), [], 'the loser forgot it');
    assert.equal(registry2.get('w2')!.status, 'available', 'and freed the worker it had reserved');
    assert.deepEqual(claimedElsewhere, [queued.operation_id]);
    const stored = (await store.get(queued.operation_id))!;
    assert.equal(stored.status, 'pending');
    assert.equal(stored.worker_id, 'w1');
    assert.deepEqual(stored.attempts!.map((a) => a.attempt_id), [mine.attemptId], 'only the winner\'s attempt is stored');
    // A report reaching the loser for it (none should) finds no op there to change.
    assert.throws(() => second.report(queued.operation_id, { attempt_id: mine.attemptId, status: 'running' }), { name: 'OperationNotFoundError' });
    assert.equal((await second.get(queued.operation_id)).worker_id, 'w1', 'reads go to the store');
    await second.close();
    await first.close();
  });

  test(`${name}: metrics are replaced as a whole and read after a cursor; results and sweeps round-trip`, async (t) => {
    const { store } = await setup(t);
    const a = op('running');
    await store.insert(a, {}, undefined, 1);
    const m = (epoch: number) => ({ epoch, train_loss: 1 / (epoch + 1), val_accuracy: null, timestamp: '2026-01-01T00:00:00.000Z' });
    await store.saveMetrics(a.operation_id, [m(0), m(1)]);
    await store.saveMetrics(a.operation_id, [m(0), m(1), m(2)]);
    assert.deepEqual(await store.getMetrics(a.operation_id, 0), [m(0), m(1), m(2)]);
    assert.deepEqual(await store.getMetrics(a.operation_id, 2), [m(2)]);
    assert.deepEqual(await store.getMetrics(a.operation_id, 3), []);
    await store.saveMetrics(a.operation_id, []);
    assert.deepEqual(await store.getMetrics(a.operation_id, 0), []);
    assert.equal(await store.getResult(a.operation_id), undefined);
    await store.saveResult(a.operation_id, { trades: [{ pnl: -1.5 }], equity: [1, 2, 3] });
    await store.saveResult(a.operation_id, { trades: [], equity: [4] });
    assert.deepEqual(await store.getResult(a.operation_id), { trades: [], equity: [4] });
    const sweep = op('running', { operation_type: 'sweep' });
    const ended = op('completed', { operation_type: 'sweep' });
    await store.insert(sweep, {}, undefined, 2);
    await store.insert(ended, {}, undefined, 3);
    await store.saveSweep(sweep.operation_id, { version: 1, children: ['a'] });
    await store.saveSweep(sweep.operation_id, { version: 1, children: ['a', 'b'] });
    await store.saveSweep(ended.operation_id, { version: 1, children: [] });
    assert.deepEqual(await store.getSweep(sweep.operation_id), { version: 1, children: ['a', 'b'] });
    assert.equal(await store.getSweep('op_missing'), undefined);
    assert.deepEqual(await store.activeSweepIds(), [sweep.operation_id], 'only sweeps whose parent is not terminal');
  });

  test(`${name}: delete forgets the operation, its metrics and its result`, async (t) => {
    const { store } = await setup(t);
    const a = op('pending');
    await store.insert(a, { r: 1 }, target('backtesting'), 1);
    await store.saveMetrics(a.operation_id, [{ epoch: 0 }]);
    await store.saveResult(a.operation_id, { x: 1 });
    await store.delete(a.operation_id);
    assert.equal(await store.get(a.operation_id), undefined);
    assert.deepEqual(await store.getMetrics(a.operation_id, 0), []);
    assert.equal(await store.getResult(a.operation_id), undefined);
    assert.equal((await store.list({ limit: 10, offset: 0 })).total, 0);
  });

  test(`${name}: reopening runs no migration twice and keeps every row`, async (t) => {
    const { store, open } = await setup(t);
    const a = op('queued');
    await store.insert(a, { keep: true }, target('backtesting'), 41);
    await store.close();
    const again = await open();
    assert.deepEqual(await again.get(a.operation_id), a);
    assert.equal(await again.maxSeq(), 41);
    assert.deepEqual(await again.getRequest(a.operation_id), { keep: true });
  });

  test(`${name}: the operations service on this store: changes are durable once persisted, and a new service resumes the active ops`, async (t) => {
    const { store, open } = await setup(t);
    const log = pino({ level: 'silent' });
    const registry = new WorkerRegistry();
    registry.register({ worker_id: 'w1', worker_type: 'backtesting', endpoint_url: 'http://127.0.0.1:9', boot_id: 'b1' });
    const service = new OperationsService({ store, registry, client: new HttpWorkerClient({ requestTimeoutMs: 200 }), log });
    await service.load();
    const { op: a, seq } = service.create('backtesting', { parameters: {} }, { req: 1 }, { status: 'queued', dispatch: target('backtesting') });
    const { op: b } = service.create('backtesting', { parameters: {} }, { req: 2 }, { status: 'queued', dispatch: target('backtesting') });
    const opened = service.beginAttempt(a.operation_id, 'w1')!;
    // Decided in memory at once; durable once persisted.
    assert.equal(service.peek(a.operation_id).status, 'pending');
    await service.persisted(a.operation_id);
    const stored = (await store.get(a.operation_id))!;
    assert.equal(stored.status, 'pending');
    assert.equal(stored.attempts!.at(-1)!.attempt_id, opened.attemptId, 'the attempt is stored before a start request could go out');
    service.report(a.operation_id, { attempt_id: opened.attemptId, status: 'running' });
    const done = await service.receiveReport(a.operation_id, {
      attempt_id: opened.attemptId,
      status: 'completed',
      result_summary: { ok: 1 },
      metrics: [{ epoch: 0 }],
      artifact: { trades: [] },
    });
    assert.equal(done.kind, 'accepted');
    await service.persisted(a.operation_id);
    assert.equal((await store.get(a.operation_id))!.status, 'completed');
    assert.deepEqual(await service.results(a.operation_id), { trades: [] });
    assert.deepEqual((await service.metrics(a.operation_id, 0)).metrics, [{ epoch: 0 }]);
    const late = await service.receiveReport(a.operation_id, { attempt_id: opened.attemptId, status: 'failed' });
    assert.equal(late.kind, 'stale');
    await service.close();
    // A restarted backend: the queued op is back in memory with its place and target; the ended one is history.
    const store2 = await open();
    const service2 = new OperationsService({ store: store2, registry, client: new HttpWorkerClient({ requestTimeoutMs: 200 }), log });
    await service2.load();
    assert.deepEqual(service2.active().map((o) => o.operation_id), [b.operation_id]);
    assert.deepEqual(service2.queuedRow(b.operation_id), { operationId: b.operation_id, seq: seq + 1, priority: 0, dispatch: target('backtesting') });
    assert.equal((await service2.get(a.operation_id)).status, 'completed');
    assert.deepEqual(await service2.getRequest(b.operation_id), { req: 2 });
    const { seq: next } = service2.create('backtesting', { parameters: {} }, {}, { status: 'queued' });
    assert.equal(next, seq + 2, 'the sequence goes on where it was');
    const page = await service2.list({ limit: 10, offset: 0 });
    assert.equal(page.total, 3, 'list reads the writes queued so far');
    await service2.close();
  });
}
