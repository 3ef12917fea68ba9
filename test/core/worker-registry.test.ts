import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryWorkQueue } from '../../src/core/queue/work-queue.js';
import { WorkerRegistry } from '../../src/core/registry/worker-registry.js';

function registry() {
  const clock = { wall: 0, mono: 0 };
  const r = new WorkerRegistry({ now: () => clock.wall, monotonicNow: () => clock.mono });
  const add = (id: string, capabilities: Record<string, unknown>, type = 'training') => {
    clock.wall++;
    return r.register({ worker_id: id, worker_type: type, endpoint_url: `http://127.0.0.1:${1000 + r.size}`, capabilities }).worker;
  };
  return { r, add, clock };
}

test('selection: capability constraints (numbers are minimums), require_gpu, GPU first with CPU fallback', () => {
  const { r, add } = registry();
  add('cpu-small', { gpu: false, cores: 2, memory_gb: 8 });
  add('cpu-big', { gpu: false, cores: 32, memory_gb: 128 });
  add('gpu', { gpu: true, gpu_type: 'A100', cores: 8, memory_gb: 64 });
  assert.equal(r.select('training', { constraints: { cores: 16 } })?.workerId, 'cpu-big');
  assert.equal(r.select('training', { constraints: { gpu_type: 'A100' } })?.workerId, 'gpu');
  assert.equal(r.select('training', { constraints: { cores: 64 } }), undefined);
  assert.equal(r.select('training', { requireGpu: true })?.workerId, 'gpu');
  r.markBusy('gpu', 'op-1');
  assert.equal(r.canSelect('training', { requireGpu: true }), false, 'require_gpu never falls back to CPU');
  assert.ok(['cpu-small', 'cpu-big'].includes(r.select('training', { preferGpu: true })!.workerId), 'prefer_gpu does');
  assert.equal(r.select('backtesting'), undefined, 'other types never match');
});

test('selection: least recently used, excluded ids skipped, a cooled-down worker skipped until its breaker closes', () => {
  const { r, add, clock } = registry();
  add('a', {}, 'backtesting');
  add('b', {}, 'backtesting');
  assert.deepEqual([r.select('backtesting')!.workerId, r.select('backtesting')!.workerId, r.select('backtesting')!.workerId], ['a', 'b', 'a']);
  assert.equal(r.select('backtesting', { exclude: new Set(['b']) })?.workerId, 'a');
  r.coolDown('b', 10_000);
  assert.equal(r.select('backtesting')?.workerId, 'a', 'b is cooling down although it is least recently used');
  clock.mono += 10_001;
  assert.equal(r.select('backtesting')?.workerId, 'b');
});

test('queue order: higher priority first, FIFO within a priority; positions follow', () => {
  const q = new MemoryWorkQueue();
  const target = { workerType: 'backtesting', startPath: '/backtests/start', payload: {} };
  q.add({ operationId: 'a', priority: 0, seq: 1, target });
  q.add({ operationId: 'b', priority: 5, seq: 2, target });
  q.add({ operationId: 'c', priority: 0, seq: 3, target });
  q.add({ operationId: 'd', priority: -1, seq: 0, target });
  assert.deepEqual(q.entries().map((e) => e.operationId), ['b', 'a', 'c', 'd']);
  assert.equal(q.position('c'), 3);
  assert.equal(q.remove('b'), true);
  assert.equal(q.position('c'), 2);
  assert.equal(q.position('b'), null);
  // A re-queued op keeps its sequence: it goes back to its place, not to the end.
  q.add({ operationId: 'b2', priority: 0, seq: 0, target });
  assert.deepEqual(q.entries().map((e) => e.operationId), ['b2', 'a', 'c', 'd']);
});

test('queue heads: the first entry of each kind (worker type + selection), kept as entries come and go', () => {
  const q = new MemoryWorkQueue();
  const cpu = { workerType: 'backtesting', startPath: '/backtests/start', payload: {} };
  const gpu = { workerType: 'training', startPath: '/training/start', payload: {}, selection: { requireGpu: true } };
  const anyTraining = { workerType: 'training', startPath: '/training/start', payload: {} };
  q.add({ operationId: 'c1', priority: 0, seq: 1, target: cpu });
  q.add({ operationId: 'g1', priority: 0, seq: 2, target: gpu });
  q.add({ operationId: 'c2', priority: 3, seq: 3, target: cpu });
  q.add({ operationId: 't1', priority: 0, seq: 4, target: anyTraining });
  q.add({ operationId: 'g2', priority: 0, seq: 5, target: { ...gpu, selection: { requireGpu: true } } });
  const heads = () => [...q.heads()].map((e) => e.operationId).sort();
  assert.deepEqual(heads(), ['c2', 'g1', 't1'], 'one head per kind; equal selections are one kind');
  q.remove('c2');
  q.remove('g1');
  assert.deepEqual(heads(), ['c1', 'g2', 't1']);
  q.remove('t1');
  q.remove('g2');
  q.remove('c1');
  assert.deepEqual(heads(), []);
  assert.equal(q.size, 0);
  assert.deepEqual(q.entries(), []);
});

test('exclusivity: a reserved worker is not selected again; only its own operation (or a new registration) frees it', () => {
  const { r, add } = registry();
  add('only', {}, 'backtesting');
  const w = r.select('backtesting')!;
  r.markBusy(w.workerId, 'op-1');
  assert.equal(r.select('backtesting'), undefined, 'one operation per worker');
  r.markAvailable('only', 'op-2');
  assert.equal(r.get('only')!.status, 'busy', 'the end of another operation does not free it');
  r.markAvailable('only', 'op-1');
  assert.equal(r.get('only')!.status, 'available');
  r.recordHealthReport('only', { worker_status: 'draining', current_operation: null }, 0);
  assert.equal(r.get('only')!.status, 'temporarily_unavailable', 'a draining worker takes no work');
  r.markAvailable('only');
  assert.equal(r.get('only')!.status, 'temporarily_unavailable', 'only a health check brings an unavailable worker back');
  assert.equal(r.select('backtesting'), undefined);
});

test('an idle health answer frees a busy worker only once its assignment settled (a hand-over reply may still be in flight)', () => {
  const { r, add, clock } = registry();
  add('w', {}, 'backtesting');
  clock.wall = 10_000;
  r.markBusy('w', 'op-handed-over');
  // Probe sent after the assignment, answered "idle" before the worker read the reply.
  clock.wall = 10_050;
  r.recordHealthReport('w', { worker_status: 'idle', current_operation: null }, 10_010);
  assert.equal(r.get('w')!.status, 'busy', 'an idle answer right after the assignment is not believed');
  // Probe sent before the assignment: says nothing about it.
  clock.wall = 15_000;
  r.recordHealthReport('w', { worker_status: 'idle', current_operation: null }, 9_000);
  assert.equal(r.get('w')!.status, 'busy');
  // Later, still idle: the worker really is free.
  r.recordHealthReport('w', { worker_status: 'idle', current_operation: null }, 14_000);
  assert.equal(r.get('w')!.status, 'available');
});
