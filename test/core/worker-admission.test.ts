import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadBackendConfig, loadWorkerConfig } from '../../src/config/env.js';
import { startBackend } from '../../src/bin/backend.js';
import { WorkerAdmission } from '../../src/core/registry/worker-admission.js';
import { WorkerRegistry } from '../../src/core/registry/worker-registry.js';
import { OperationsService } from '../../src/core/operations/operations-service.js';
import { SqliteOperationStore } from '../../src/core/operations/sqlite-operation-store.js';
import { HttpWorkerClient } from '../../src/net/http-worker-client.js';
import { api, tempDir } from '../helpers/cluster.js';
import { fakeEndpoint } from '../helpers/fake-endpoint.js';

const log = pino({ level: 'silent' });

async function backend(t: import('node:test').TestContext) {
  const dir = tempDir();
  const config = loadBackendConfig({}, { port: 0, host: '127.0.0.1', dbPath: join(dir.path, 'k.db'), healthCheckIntervalMs: 60_000 });
  const b = await startBackend(config, { log });
  t.after(async () => {
    await b.close();
    dir.remove();
  });
  return b;
}

const reg = (id: string, endpoint: string, extra: Record<string, unknown> = {}) => ({
  method: 'POST',
  body: { worker_id: id, worker_type: 'backtesting', endpoint_url: endpoint, ...extra },
});

test('nobody takes over a live worker: same id from another endpoint, another id at its endpoint → 409', async (t) => {
  const b = await backend(t);
  const e1 = await fakeEndpoint('w1');
  const e2 = await fakeEndpoint('w1');
  const impostor = await fakeEndpoint('w2');
  t.after(() => Promise.all([e1.close(), e2.close(), impostor.close()]));
  assert.equal((await api(b.url, '/api/v1/workers/register', reg('w1', e1.url))).status, 200);

  // The same id from a second host while the first still answers: refused, nothing changes.
  const dup = await api(b.url, '/api/v1/workers/register', reg('w1', e2.url));
  assert.equal(dup.status, 409);
  assert.equal(dup.body.code, 'WORKER_CONFLICT');
  assert.match(dup.body.detail, /still answers/);
  assert.equal((await api(b.url, '/api/v1/workers/w1')).body.endpoint_url, e1.url);

  // Another id claiming w1's endpoint (which answers as w1): refused.
  const steal = await api(b.url, '/api/v1/workers/register', reg('w2', e1.url));
  assert.equal(steal.status, 409);
  assert.match(steal.body.detail, /answers as worker 'w1'/);
  assert.equal((await api(b.url, '/api/v1/workers')).body.length, 1);

  // An endpoint that answers as somebody else cannot be registered under this id.
  const lie = await api(b.url, '/api/v1/workers/register', reg('w3', impostor.url));
  assert.equal(lie.status, 409);

  // Once the first host is gone, the id may move: that is an IP change, not a takeover.
  await e1.close();
  assert.equal((await api(b.url, '/api/v1/workers/register', reg('w1', e2.url))).status, 200);
  assert.equal((await api(b.url, '/api/v1/workers/w1')).body.endpoint_url, e2.url);
});

test('only a successful probe makes a worker available: an unreachable endpoint is refused (422) and nothing is stored', async (t) => {
  const b = await backend(t);
  const gone = await fakeEndpoint('w9');
  const url = gone.url;
  await gone.close();
  const r = await api(b.url, '/api/v1/workers/register', reg('w9', url));
  assert.equal(r.status, 422);
  assert.equal(r.body.code, 'ENDPOINT_UNREACHABLE');
  assert.match(r.body.detail, /WORKER_ENDPOINT_URL/);
  assert.equal((await api(b.url, '/api/v1/workers')).body.length, 0);
});

test('listen addresses and non-http endpoints are refused with 400 naming endpoint_url', async (t) => {
  const b = await backend(t);
  for (const endpoint of ['http://0.0.0.0:5003', 'http://[::]:5003', 'file:///etc/passwd', 'gopher://127.0.0.1:70', 'http://user:pw@127.0.0.1:5003']) {
    const r = await api(b.url, '/api/v1/workers/register', reg('w', endpoint));
    assert.equal(r.status, 400, endpoint);
    assert.match(r.body.detail, /^endpoint_url: /, endpoint);
  }
});

test('a loopback endpoint registered from a remote address is refused; from loopback it is fine', (t) => {
  const dir = tempDir();
  const store = new SqliteOperationStore(join(dir.path, 'o.db'));
  t.after(() => {
    store.close();
    dir.remove();
  });
  const registry = new WorkerRegistry();
  const client = new HttpWorkerClient();
  const operations = new OperationsService({ store, registry, client, log });
  const admission = new WorkerAdmission({ registry, client, operations, log }, { workerTypes: ['backtesting'] });
  assert.throws(() => admission.checkEndpoint('http://127.0.0.1:5003', '10.0.0.7'), /endpoint_url: a loopback address/);
  assert.throws(() => admission.checkEndpoint('http://localhost:5003', '192.168.1.20'), /loopback/);
  assert.equal(admission.checkEndpoint('http://127.0.0.1:5003/', '127.0.0.1'), 'http://127.0.0.1:5003');
  assert.equal(admission.checkEndpoint('http://10.0.0.7:5003', '10.0.0.7'), 'http://10.0.0.7:5003');
});

test("a worker can't claim another live worker's operation (409)", async (t) => {
  const b = await backend(t);
  const e1 = await fakeEndpoint('w1');
  const e2 = await fakeEndpoint('w2');
  t.after(() => Promise.all([e1.close(), e2.close()]));
  await api(b.url, '/api/v1/workers/register', reg('w1', e1.url));
  const { op } = b.operations.create('backtesting', { parameters: {} }, {});
  const a = b.operations.beginAttempt(op.operation_id, 'w1')!;
  b.operations.report(op.operation_id, { attempt_id: a.attemptId, status: 'running' });
  const claim = await api(b.url, '/api/v1/workers/register', reg('w2', e2.url, { current_operation_id: op.operation_id }));
  assert.equal(claim.status, 409);
  assert.match(claim.body.detail, /runs on worker 'w1'/);
  assert.equal((await api(b.url, `/api/v1/operations/${op.operation_id}`)).body.data.worker_id, 'w1');
});

test('default worker ids get a random suffix, so two hosts with one hostname differ', () => {
  const a = loadWorkerConfig('backtesting', { KTRDR_API_URL: 'http://127.0.0.1:8000', WORKER_PORT: '5003' });
  const b2 = loadWorkerConfig('backtesting', { KTRDR_API_URL: 'http://127.0.0.1:8000', WORKER_PORT: '5003' });
  assert.notEqual(a.workerId, b2.workerId);
  assert.match(a.workerId, /^backtesting-.+-5003-[0-9a-f]{6}$/);
  assert.equal(loadWorkerConfig('backtesting', { KTRDR_API_URL: 'http://x:1', WORKER_ID: 'mine' }).workerId, 'mine');
});
