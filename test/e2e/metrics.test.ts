import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { api, backtestBody, startFixtureBackend, startFixtureWorker, tempDir, waitForStatus, waitForWorkers } from '../helpers/cluster.js';

/** Minimal Prometheus text-format parser: `name{labels} value` samples. */
function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    assert.ok(m, `unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

test('Prometheus metrics parse and match the registry and the operations store', async (t) => {
  const dir = tempDir();
  // Rare health rounds, so the dispatch (not a probe) finds the workers busy and counts the retries.
  const env = { HEALTH_CHECK_INTERVAL_SECONDS: '60', WORKER_HEALTH_SILENCE_SECONDS: '120' };
  const backend = await startFixtureBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  const workers = [await startFixtureWorker(backend.url, `m1-${process.pid}`, env), await startFixtureWorker(backend.url, `m2-${process.pid}`, env)];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.crash()));
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 2);
  for (const fixture of [{ steps: 2 }, { steps: 2 }, { steps: 1, fail: 'nope' }]) {
    const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody(fixture) });
    await waitForStatus(backend.url, r.body.operation_id, ['completed', 'failed']);
  }
  // Occupy the next worker behind the backend's back to force one retry, and keep one op running.
  await api(workers[0]!.url, '/backtests/start', { method: 'POST', body: { fixture: { steps: 100, step_ms: 50 } } });
  await api(workers[1]!.url, '/backtests/start', { method: 'POST', body: { fixture: { steps: 100, step_ms: 50 } } });
  const busy = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: backtestBody() });
  assert.equal(busy.body.status, 'queued', 'all workers busy: it waits');

  const res = await fetch(`${backend.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const samples = parseExposition(await res.text());
  const get = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  const health = (await api(backend.url, '/api/v1/workers/health')).body;
  assert.equal(get('ktrdr_workers_total'), health.total_workers);
  for (const [metric, key] of [['ktrdr_workers_available', 'available'], ['ktrdr_workers_busy', 'busy'], ['ktrdr_workers_unavailable', 'temporarily_unavailable']] as const) {
    assert.equal(get(metric, { worker_type: 'backtesting' }), health.by_type.backtesting[key], metric);
  }
  for (const status of ['completed', 'failed']) {
    const stored = (await api(backend.url, `/api/v1/operations?status=${status}`)).body.total_count;
    assert.equal(get('ktrdr_operations_total', { operation_type: 'backtesting', status }), stored, status);
  }
  assert.equal(get('ktrdr_operations_total', { operation_type: 'backtesting', status: 'completed' }), 2);
  assert.equal(get('ktrdr_operations_total', { operation_type: 'backtesting', status: 'failed' }), 1, 'the job that threw (a busy cluster queues, it does not fail)');
  assert.equal(get('ktrdr_operations_total', { operation_type: 'backtesting', status: 'queued' }), 1);
  assert.equal(get('ktrdr_operations_active'), (await api(backend.url, '/api/v1/operations')).body.active_count);
  assert.equal(get('ktrdr_operation_duration_seconds_count', { operation_type: 'backtesting', status: 'completed' }), 2);
  assert.ok((get('ktrdr_dispatch_retries_total', { worker_type: 'backtesting', reason: 'busy' }) ?? 0) >= 1);
  assert.ok(get('ktrdr_backend_process_cpu_user_seconds_total') !== undefined, 'default process metrics');

  const same = await (await fetch(`${backend.url}/api/v1/metrics/prometheus`)).text();
  assert.match(same, /ktrdr_workers_total 2/);
  const w = (await api(backend.url, '/api/v1/metrics/workers')).body;
  assert.equal(w.total_workers, 2);
  assert.deepEqual(Object.keys(w.workers[0]).sort(), ['current_operation', 'health_failures', 'id', 'status', 'type']);
  assert.equal(Object.values(w.by_status as Record<string, number>).reduce((a, b) => a + b, 0), 2);
});
