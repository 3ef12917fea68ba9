/**
 * Issue 8 point 1: auth is decided on the matched route, deny by default. Before the fix the
 * check looked at the raw URL, so `/%61pi/v1/workers` answered 200 without the token, and
 * /metrics, /docs and the worker's `/` were open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSandbox, startServers } from './helpers.js';

const TOKEN = 'auth-test-token';
const bearer = { authorization: `Bearer ${TOKEN}` };

async function status(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics, HTML)
  }
  return { status: res.status, body };
}

test('backend with a token: encoded, doubled or odd paths to protected routes are 401, not 200', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { backendUrl } = await startServers(t, { token: TOKEN, sandbox });
  for (const path of ['/%61pi/v1/workers', '/api/v1/workers', '/api/v1/%77orkers', '/api/v1/workers/', '/api/v1/operations?x=/health', '/%61pi/v1/operations']) {
    const r = await status(backendUrl + path);
    assert.equal(r.status, 401, path);
    assert.deepEqual(r.body, { detail: 'Missing or invalid bearer token (set KTRDR_API_TOKEN)', code: 'UNAUTHORIZED' }, path);
  }
  assert.equal((await status(`${backendUrl}/%61pi/v1/workers`, bearer)).status, 200);
});

test('backend with a token: /metrics, /docs, /docs/json and unknown routes need it; /health, /api/v1/health and the dashboard shell do not', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { backendUrl } = await startServers(t, { token: TOKEN, sandbox });
  for (const path of ['/metrics', '/docs', '/docs/json', '/docs/static/index.html', '/api/v1/metrics/prometheus', '/api/v1/metrics/workers', '/no/such/route']) {
    assert.equal((await status(backendUrl + path)).status, 401, path);
  }
  assert.equal((await status(`${backendUrl}/metrics`, bearer)).status, 200);
  assert.equal((await status(`${backendUrl}/docs/json`, bearer)).status, 200);
  const missing = await status(`${backendUrl}/no/such/route`, bearer);
  assert.equal(missing.status, 404);
  assert.equal((missing.body as { code: string }).code, 'NOT_FOUND');
  for (const path of ['/health', '/api/v1/health', '/', '/dashboard/app.js', '/dashboard/app.css']) {
    assert.equal((await status(backendUrl + path)).status, 200, path);
  }
  const health = (await status(`${backendUrl}/api/v1/health`)).body as { healthy: boolean; service: string };
  assert.equal(health.healthy, true);
  assert.equal(health.service, 'ktrdr-backend');
});

test('backend without a token: everything answers, unknown routes are a {detail, code} 404', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { backendUrl } = await startServers(t, { sandbox });
  assert.equal((await status(`${backendUrl}/api/v1/workers`)).status, 200);
  assert.equal((await status(`${backendUrl}/api/v1/health`)).status, 200);
  const missing = await status(`${backendUrl}/nope`);
  assert.equal(missing.status, 404);
  assert.equal((missing.body as { code: string }).code, 'NOT_FOUND');
});

test('worker with a token: only /health is public; /, /metrics and the operations routes need it; 404s are {detail, code}', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { workerUrl } = await startServers(t, { token: TOKEN, sandbox });
  assert.equal((await status(`${workerUrl}/health`)).status, 200);
  for (const path of ['/', '/metrics', '/api/v1/operations', '/%61pi/v1/operations', '/api/v1/operations/x', '/nope']) {
    const r = await status(workerUrl + path);
    assert.equal(r.status, 401, path);
    assert.equal((r.body as { code: string }).code, 'UNAUTHORIZED', path);
  }
  for (const path of ['/', '/metrics', '/api/v1/operations']) assert.equal((await status(workerUrl + path, bearer)).status, 200, path);
  const missing = await status(`${workerUrl}/nope`, bearer);
  assert.equal(missing.status, 404);
  assert.equal(typeof (missing.body as { detail: unknown }).detail, 'string');
  assert.equal((missing.body as { code: string }).code, 'NOT_FOUND');
});
