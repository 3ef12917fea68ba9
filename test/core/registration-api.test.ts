import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { pino } from 'pino';
import { loadBackendConfig } from '../../src/config/env.js';
import { startBackend } from '../../src/bin/backend.js';
import { api, tempDir } from '../helpers/cluster.js';
import { fakeEndpoint } from '../helpers/fake-endpoint.js';

async function backend(t: import('node:test').TestContext) {
  const dir = tempDir();
  const config = loadBackendConfig({}, {
    port: 0,
    host: '127.0.0.1',
    dbPath: join(dir.path, 'ktrdr.db'),
    // Long interval: these tests are about the API, not health checks.
    healthCheckIntervalMs: 60_000,
  });
  const b = await startBackend(config, { log: pino({ level: 'silent' }) });
  t.after(async () => {
    await b.close();
    dir.remove();
  });
  return b.url;
}

const reg = (id: string, extra: Record<string, unknown> = {}) => ({
  worker_id: id,
  worker_type: 'backtesting',
  endpoint_url: `http://127.0.0.1:59${id.length}1`,
  ...extra,
});

test('register, list, get, aggregate, idempotent re-register', async (t) => {
  const url = await backend(t);
  const a1 = await fakeEndpoint('bt-a');
  const a2 = await fakeEndpoint('bt-a');
  const gpu = await fakeEndpoint('tr-gpu');
  t.after(() => Promise.all([a1.close(), a2.close(), gpu.close()]));
  const a = await api(url, '/api/v1/workers/register', { method: 'POST', body: reg('bt-a', { endpoint_url: a1.url, capabilities: { cores: 4 } }) });
  assert.equal(a.status, 200);
  assert.equal(a.body.worker.status, 'available');
  await api(url, '/api/v1/workers/register', {
    method: 'POST',
    body: { worker_id: 'tr-gpu', worker_type: 'training', endpoint_url: gpu.url, capabilities: { gpu: true } },
  });
  const list = await api(url, '/api/v1/workers');
  assert.ok(Array.isArray(list.body), 'a bare JSON array');
  assert.equal(list.body.length, 2);
  const w = list.body.find((x: { worker_id: string }) => x.worker_id === 'bt-a');
  assert.deepEqual(Object.keys(w).sort(), [
    'capabilities', 'current_operation_id', 'endpoint_url', 'health_check_failures', 'last_health_check',
    'last_healthy_at', 'metadata', 'status', 'worker_id', 'worker_type',
  ]);
  assert.equal((await api(url, '/api/v1/workers?worker_type=training')).body.length, 1);
  assert.equal((await api(url, '/api/v1/workers?status=busy')).body.length, 0);
  assert.equal((await api(url, '/api/v1/workers/tr-gpu')).body.capabilities.gpu, true);
  const missing = await api(url, '/api/v1/workers/nope');
  assert.equal(missing.status, 404);
  assert.match(missing.body.detail, /nope/);

  // Same id again from a new address (its old one no longer answers): url and capabilities updated.
  await a1.close();
  const again = await api(url, '/api/v1/workers/register', {
    method: 'POST',
    body: reg('bt-a', { endpoint_url: a2.url, capabilities: { cores: 8 } }),
  });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  const after = await api(url, '/api/v1/workers/bt-a');
  assert.equal(after.body.endpoint_url, a2.url);
  assert.equal(after.body.capabilities.cores, 8);
  assert.equal((await api(url, '/api/v1/workers')).body.length, 2);

  // A new id at an endpoint already registered (now answering as the new id) replaces the old record.
  a2.answerAs('bt-b');
  const replaced = await api(url, '/api/v1/workers/register', { method: 'POST', body: reg('bt-b', { endpoint_url: a2.url }) });
  assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
  assert.equal((await api(url, '/api/v1/workers/bt-a')).status, 404);
  assert.equal((await api(url, '/api/v1/workers/bt-b')).status, 200);

  const health = (await api(url, '/api/v1/workers/health')).body;
  assert.deepEqual(health, {
    total_workers: 2,
    available: 2,
    busy: 0,
    temporarily_unavailable: 0,
    by_type: {
      backtesting: { available: 1, busy: 0, temporarily_unavailable: 0 },
      training: { available: 1, busy: 0, temporarily_unavailable: 0 },
    },
  });
});

test('bad registration payloads get 400 naming the field and change nothing', async (t) => {
  const url = await backend(t);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ worker_type: 'backtesting', endpoint_url: 'http://127.0.0.1:1' }, /^worker_id: is required/],
    [reg('x', { worker_type: 'gpu_magic' }), /^worker_type: must be one of backtesting, training/],
    [reg('x', { endpoint_url: 'ftp://host:1' }), /^endpoint_url: must be an http/],
    [reg('x', { endpoint_url: 'not a url' }), /^endpoint_url: 'not a url' is not a URL/],
    [reg('x', { capabilities: 'lots' }), /^capabilities: /],
    [{ worker_id: 'x', worker_type: 'backtesting' }, /^endpoint_url: is required/],
  ];
  for (const [body, pattern] of cases) {
    const r = await api(url, '/api/v1/workers/register', { method: 'POST', body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.body.detail, pattern);
  }
  const bad = await fetch(`${url}/api/v1/workers/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
  assert.equal(bad.status, 400);
  assert.equal((await api(url, '/api/v1/workers')).body.length, 0);
});

// Whether the data covers the dates is a worker's check now (the backend reads no CSV on a
// request): test/e2e/models-by-reference.test.ts has that 400, answered through the backend.
test('backtest and training requests are validated before anything is dispatched', async (t) => {
  const url = await backend(t);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['/api/v1/backtests/start', { strategy_name: 'no_such', start_date: '2024-01-01', end_date: '2024-02-01' }, /strategy_name: .*no_such.*not found/i],
    ['/api/v1/backtests/start', { strategy_name: 'rsi_reversion_rules', start_date: '2024-02-01', end_date: '2024-01-01' }, /^end_date: must be after start_date/],
    ['/api/v1/backtests/start', { strategy_name: 'rsi_reversion_rules', symbol: 'XAUUSD', start_date: '2024-01-01', end_date: '2024-02-01' }, /^symbol: /],
    ['/api/v1/backtests/start', { strategy_name: 'rsi_reversion_rules', timeframe: '15m', start_date: '2024-01-01', end_date: '2024-02-01' }, /^timeframe: no EURUSD 15m data/],
    ['/api/v1/backtests/start', { strategy_name: 'rsi_reversion_rules', start_date: '2024-01-01', end_date: '2024-02-01', initial_capital: -5 }, /^initial_capital: /],
    ['/api/v1/backtests/start', { strategy_name: 'rsi_reversion_rules', start_date: 'yesterday', end_date: '2024-02-01' }, /^start_date: /],
    ['/api/v1/backtests/start', { strategy_name: 'mtf_trend_1h_4h', timeframe: '1d', start_date: '2024-01-01', end_date: '2024-02-01' }, /^timeframe: .*multi-timeframe/],
    ['/api/v1/training/start', { strategy_name: 'rsi_macd_1h', strategy_yaml: 'x: 1' }, /^strategy_name: give exactly one/],
    ['/api/v1/training/start', { strategy_yaml: 'name: x\nindicators: 3\n' }, /^strategy_yaml: /],
    ['/api/v1/training/start', { strategy_name: 'rsi_reversion_rules' }, /^strategy_name: 'rsi_reversion_rules' is a rules-mode strategy: .*--force/],
  ];
  for (const [path, body, pattern] of cases) {
    const r = await api(url, path, { method: 'POST', body });
    assert.equal(r.status, 400, `${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
    assert.match(r.body.detail, pattern);
  }
  assert.equal((await api(url, '/api/v1/operations')).body.total_count, 0, 'no operation was created');
  assert.equal((await api(url, '/api/v1/operations/op_nope')).status, 404);
  assert.equal((await api(url, '/api/v1/operations?status=weird')).status, 400);
});

test('OpenAPI: the spec at /docs/json lists every route, Swagger UI is served at /docs', async (t) => {
  const url = await backend(t);
  const spec = await api(url, '/docs/json');
  assert.equal(spec.status, 200);
  assert.match(spec.body.openapi, /^3\./);
  for (const path of ['/api/v1/workers/register', '/api/v1/workers', '/api/v1/operations/{operationId}', '/api/v1/backtests/start', '/api/v1/training/start']) {
    assert.ok(spec.body.paths[path], `${path} in the spec`);
  }
  const reference = readFileSync(join(repoRoot, 'docs', 'api-reference.md'), 'utf8');
  for (const [path, methods] of Object.entries(spec.body.paths as Record<string, object>)) {
    for (const method of Object.keys(methods)) {
      assert.ok(reference.includes(`## ${method.toUpperCase()} ${path}\n`), `docs/api-reference.md documents ${method.toUpperCase()} ${path} (regenerate: node scripts/gen-api-reference.mjs)`);
    }
  }
  const ui = await fetch(`${url}/docs/`);
  assert.equal(ui.status, 200);
  assert.match(await ui.text(), /swagger/i);
});
