/**
 * HealthMonitor with injected wall and monotonic clocks against scripted fake workers: the
 * failure threshold, removal, recovery, busy/draining reports, the stale-idle race with a
 * dispatch, a re-registration during a probe, the concurrency cap and close().
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { HealthMonitor, type HealthMonitorOptions } from '../../src/core/registry/health-monitor.js';
import { WorkerRegistry } from '../../src/core/registry/worker-registry.js';
import { HttpWorkerClient } from '../../src/net/http-worker-client.js';
import { healthReport, startFakeWorker, type FakeWorker, type Reply } from './helpers/fake-worker.js';

const log = pino({ level: 'silent' });

async function setup(t: TestContext, options: HealthMonitorOptions = {}) {
  const clock = { wall: 1_000_000, mono: 1_000 };
  const registry = new WorkerRegistry({ now: () => clock.wall, monotonicNow: () => clock.mono });
  const events: string[] = [];
  const reports: string[] = [];
  const monitor = new HealthMonitor(
    {
      registry,
      client: new HttpWorkerClient(),
      log,
      now: () => clock.wall,
      onReport: (w, r) => void reports.push(`${w.workerId}:${r.worker_status}`),
      onUnreachable: (w) => void events.push(`unreachable:${w.workerId}`),
      onRemoved: (w) => void events.push(`removed:${w.workerId}`),
    },
    { timeoutMs: 2_000, failureThreshold: 3, removalThresholdMs: 60_000, ...options },
  );
  const workers: FakeWorker[] = [];
  t.after(async () => {
    await monitor.close();
    await Promise.all(workers.map((w) => w.close()));
  });
  const add = async (id: string, handler?: FakeWorker['handler']) => {
    const fake = await startFakeWorker(handler);
    workers.push(fake);
    registry.register({ worker_id: id, worker_type: 'backtesting', endpoint_url: fake.url });
    return fake;
  };
  return { clock, registry, monitor, events, reports, add };
}

const down: Reply = { status: 500, body: { detail: 'boom' } };

test('failures below the threshold change nothing; at the threshold the worker is temporarily_unavailable, once', async (t) => {
  const { registry, monitor, events, add } = await setup(t);
  const fake = await add('w', () => down);
  await monitor.checkAll();
  await monitor.checkAll();
  assert.equal(registry.get('w')!.status, 'available');
  assert.equal(registry.get('w')!.healthCheckFailures, 2);
  assert.deepEqual(events, []);
  await monitor.checkAll();
  assert.equal(registry.get('w')!.status, 'temporarily_unavailable');
  assert.deepEqual(events, ['unreachable:w']);
  await monitor.checkAll();
  assert.deepEqual(events, ['unreachable:w'], 'onUnreachable fires once per outage');
  assert.equal(fake.requests.filter((r) => r.path === '/health').length, 4);
});

test('removal: only after removalThresholdMs of monotonic time unavailable', async (t) => {
  const { clock, registry, monitor, events, add } = await setup(t, { failureThreshold: 1 });
  await add('w', () => down);
  await monitor.checkAll();
  assert.equal(registry.get('w')!.status, 'temporarily_unavailable');
  clock.mono += 59_999;
  await monitor.checkAll();
  assert.ok(registry.get('w'), 'still registered 1 ms before the threshold');
  clock.mono += 1;
  await monitor.checkAll();
  assert.equal(registry.get('w'), undefined);
  assert.deepEqual(events, ['unreachable:w', 'removed:w']);
});

test('a healthy reply after an outage makes the worker available again and resets its counters', async (t) => {
  const { clock, registry, monitor, reports, add } = await setup(t, { failureThreshold: 1 });
  const fake = await add('w', () => down);
  await monitor.checkAll();
  assert.equal(registry.get('w')!.status, 'temporarily_unavailable');
  fake.handler = () => ({ status: 200, body: healthReport() });
  clock.wall += 5_000;
  await monitor.checkAll();
  const w = registry.get('w')!;
  assert.equal(w.status, 'available');
  assert.equal(w.healthCheckFailures, 0);
  assert.equal(w.unavailableSince, null);
  assert.equal(w.unreachableSince, null);
  assert.equal(w.lastHealthyAt, clock.wall, 'stamped with the injected wall clock');
  assert.deepEqual(reports, ['w:idle']);
});

test('busy and draining reports: busy with its operation; draining is unavailable, flagged, and not selectable', async (t) => {
  const { registry, monitor, add } = await setup(t);
  const fake = await add('w', () => ({ status: 200, body: healthReport({ worker_status: 'busy', current_operation: 'op-1' }) }));
  await monitor.checkAll();
  assert.equal(registry.get('w')!.status, 'busy');
  assert.equal(registry.get('w')!.currentOperationId, 'op-1');
  fake.handler = () => ({ status: 200, body: healthReport({ worker_status: 'draining', current_operation: null }) });
  await monitor.checkAll();
  assert.equal(registry.get('w')!.status, 'temporarily_unavailable');
  assert.equal(registry.get('w')!.metadata['draining'], true);
  assert.equal(registry.select('backtesting'), undefined);
});

test('an idle reply to a probe sent before a dispatch does not free the worker the dispatch just reserved', async (t) => {
  const { clock, registry, monitor, add } = await setup(t);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let probeArrived!: () => void;
  const arrived = new Promise<void>((r) => (probeArrived = r));
  await add('w', async () => {
    probeArrived();
    await held;
    return { status: 200, body: healthReport({ worker_status: 'idle' }) };
  });
  const probe = monitor.checkAll();
  await arrived;
  clock.wall += 10; // the dispatch happens after the probe was sent
  registry.markBusy('w', 'op-new');
  release();
  await probe;
  assert.equal(registry.get('w')!.status, 'busy');
  assert.equal(registry.get('w')!.currentOperationId, 'op-new');
});

test('a worker re-registered while its probe was in flight keeps its new record (the old probe result is dropped)', async (t) => {
  const { registry, monitor, add } = await setup(t, { failureThreshold: 1 });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let probeArrived!: () => void;
  const arrived = new Promise<void>((r) => (probeArrived = r));
  const fake = await add('w', async () => {
    probeArrived();
    await held;
    return down;
  });
  const probe = monitor.checkAll();
  await arrived;
  const fresh = registry.register({ worker_id: 'w', worker_type: 'backtesting', endpoint_url: fake.url }).worker;
  release();
  await probe;
  assert.equal(registry.get('w'), fresh);
  assert.equal(fresh.status, 'available');
  assert.equal(fresh.healthCheckFailures, 0);
});

test('at most `concurrency` probes are in flight at once, and every worker is probed', { timeout: 20_000 }, async (t) => {
  const { monitor, add } = await setup(t, { concurrency: 2 });
  let inFlight = 0;
  let peak = 0;
  // The first two probes are held until both have arrived: two run at once (with a cap of 1 this
  // would never release, and the test would time out); the server never sees a third meanwhile.
  let openBarrier!: () => void;
  const barrier = new Promise<void>((r) => (openBarrier = r));
  let arrivals = 0;
  const held: FakeWorker['handler'] = async () => {
    peak = Math.max(peak, ++inFlight);
    if (++arrivals === 2) openBarrier();
    if (arrivals <= 2) await barrier;
    inFlight--;
    return { status: 200, body: healthReport() };
  };
  const fakes = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => add(id, held)));
  await monitor.checkAll();
  assert.equal(peak, 2);
  for (const f of fakes) assert.equal(f.requests.length, 1);
});

test('close() aborts a probe in flight; its outcome is not applied', async (t) => {
  const { registry, monitor, add } = await setup(t, { failureThreshold: 1 });
  let probeArrived!: () => void;
  const arrived = new Promise<void>((r) => (probeArrived = r));
  await add('w', () => {
    probeArrived();
    return 'hang';
  });
  const probe = monitor.checkAll();
  await arrived;
  await monitor.close();
  await probe;
  assert.equal(registry.get('w')!.status, 'available');
  assert.equal(registry.get('w')!.healthCheckFailures, 0);
});
