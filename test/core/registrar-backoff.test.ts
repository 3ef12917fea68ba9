/**
 * The worker's Registrar against a scripted backend (real HTTP): registration retries back off
 * exponentially up to the cap, each wait jittered to 50–150 % of the step, so a fleet of workers
 * does not re-register in lockstep after a backend restart. Waits are injected (no timers).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registrar } from '../../src/worker-kit/registrar.js';
import { startFakeWorker, type FakeWorker } from './helpers/fake-worker.js';

const log = pino({ level: 'silent' });

/** A backend that refuses the first `failures` registrations with 503, then accepts. */
async function backend(t: TestContext, failures: number): Promise<FakeWorker> {
  let seen = 0;
  const fake = await startFakeWorker((req) =>
    req.path === '/api/v1/workers/register' && ++seen <= failures ? { status: 503, body: { detail: 'restarting' } } : { status: 200, body: {} },
  );
  t.after(() => fake.close());
  return fake;
}

async function registerWith(t: TestContext, failures: number, random: () => number) {
  const api = await backend(t, failures);
  const waits: number[] = [];
  const registrar = new Registrar(
    {
      log,
      workerId: 'w-1',
      registration: () => ({ worker_id: 'w-1', worker_type: 'backtesting', endpoint_url: 'http://127.0.0.1:5003' }),
      lastHealthCheckAt: () => 0,
      random,
      sleep: async (ms) => void waits.push(ms),
    },
    { apiUrl: api.url, initialBackoffMs: 100, maxBackoffMs: 1_000 },
  );
  t.after(() => registrar.close());
  await registrar.register();
  return { waits, registrar, api };
}

test('retries double from initialBackoffMs up to maxBackoffMs (jitter at its midpoint)', async (t) => {
  const { waits, registrar, api } = await registerWith(t, 6, () => 0.5);
  assert.deepEqual(waits, [100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(registrar.registrations, 1);
  assert.equal(api.requests.filter((r) => r.path === '/api/v1/workers/register').length, 7);
  assert.equal(api.requests.at(-1)!.body!['worker_id'], 'w-1');
});

test('jitter spreads each wait over 50–150 % of its step', async (t) => {
  const low = await registerWith(t, 3, () => 0);
  assert.deepEqual(low.waits, [50, 100, 200]);
  const high = await registerWith(t, 3, () => 0.999);
  assert.deepEqual(high.waits.map(Math.round), [150, 300, 600]);
});

test('no wait at all when the first registration succeeds', async (t) => {
  const { waits, registrar } = await registerWith(t, 0, () => 0.5);
  assert.deepEqual(waits, []);
  assert.equal(registrar.registrations, 1);
});
