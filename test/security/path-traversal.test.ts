/**
 * Issue 8 point 4: names are names, model references stay inside the models dir, errors never
 * echo file contents, and start bodies are strict. Before the fix `strategy_name: "/etc/passwd"`
 * returned the file's first line in the 400, `model_path` could name any directory, `null`
 * became 0, unknown fields were dropped silently, and a worker answered 200 to a start naming a
 * strategy it does not have.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canariesRead, atimeIsRecorded, createSandbox, startServers } from './helpers.js';

const base = { start_date: '2024-01-01', end_date: '2024-03-01' };

test('strategy_name is a bare name resolved inside the strategies dir; no reply quotes a file', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  // A symlink inside the strategies dir that points outside it.
  symlinkSync(join(sandbox.root, 'canary.yaml'), join(sandbox.strategiesDir, 'evil.yaml'));
  const { backendUrl, workerUrl } = await startServers(t, { sandbox });
  const names = ['/etc/passwd', '../canary', '../canary.yaml', join(sandbox.root, 'canary.yaml'), 'evil', 'evil.yaml', '..', 'a/../../canary', '..%2fcanary'];
  for (const url of [`${backendUrl}/api/v1/backtests/start`, `${workerUrl}/backtests/start`]) {
    for (const strategy_name of names) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...base, strategy_name }) });
      const text = await res.text();
      assert.equal(res.status, 400, `${url} ${strategy_name}: ${text}`);
      assert.doesNotMatch(text, /root:x:0:0/);
      assert.ok(!text.includes(sandbox.canaryText), `${strategy_name}: ${text}`);
      assert.ok(!text.includes(sandbox.root), `${strategy_name}: the reply names a server path: ${text}`);
      assert.equal(typeof JSON.parse(text).code, 'string');
    }
  }
  const training = await fetch(`${backendUrl}/api/v1/training/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ strategy_name: '/etc/passwd' }) });
  assert.equal(training.status, 400);
  assert.doesNotMatch(await training.text(), /root:x:0:0/);
  if (atimeIsRecorded(sandbox.root)) assert.deepEqual(canariesRead(sandbox), []);
});

test('a YAML syntax error in a strategy file is reported without quoting its lines', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  writeFileSync(join(sandbox.strategiesDir, 'broken.yaml'), `name: broken\nsecret_line: "${sandbox.canaryText}\n  : : [\n`);
  const { backendUrl } = await startServers(t, { sandbox });
  const res = await fetch(`${backendUrl}/api/v1/backtests/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...base, strategy_name: 'broken' }) });
  const text = await res.text();
  assert.equal(res.status, 400);
  assert.match(text, /YAML syntax error at line \d+/);
  assert.ok(!text.includes(sandbox.canaryText), text);
});

test('model_path is a reference {strategy}/{tf}_v{N} inside the models dir, on the backend and on the worker', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  // rsi_macd_1h/1h_v1 inside the models dir is a symlink to a folder outside it.
  mkdirSync(join(sandbox.modelsDir, 'rsi_macd_1h'));
  symlinkSync(join(sandbox.root, 'models-canary', 'rsi_macd_1h', '1h_v1'), join(sandbox.modelsDir, 'rsi_macd_1h', '1h_v1'));
  const { backendUrl, workerUrl } = await startServers(t, { sandbox });
  const outside = join(sandbox.root, 'models-canary', 'rsi_macd_1h', '1h_v1');
  for (const url of [`${backendUrl}/api/v1/backtests/start`, `${workerUrl}/backtests/start`]) {
    for (const model_path of [outside, '/etc', '../models-canary/rsi_macd_1h/1h_v1', 'rsi_macd_1h/../../models-canary/rsi_macd_1h/1h_v1', 'rsi_macd_1h/1h_v1', 'rsi_macd_1h/1h_v9', 'rsi_macd_1h/1h_latest.json']) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...base, strategy_name: 'rsi_macd_1h', model_path }) });
      const text = await res.text();
      assert.equal(res.status, 400, `${url} ${model_path}: ${text}`);
      assert.match(text, /model_path/);
      assert.ok(!text.includes(sandbox.canaryText));
    }
  }
  if (atimeIsRecorded(sandbox.root)) assert.deepEqual(canariesRead(sandbox), []);
});

test('start bodies: unknown fields, null/boolean/string numbers and non-finite numbers are 400 naming the field, on backend and worker', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { backendUrl, workerUrl } = await startServers(t, { sandbox });
  const valid = { ...base, strategy_name: 'rsi_reversion_rules' };
  const cases: [string, string][] = [
    [JSON.stringify({ ...valid, surprise: 1 }), 'surprise'],
    [JSON.stringify({ ...valid, initial_capital: null }), 'initial_capital'],
    [JSON.stringify({ ...valid, initial_capital: true }), 'initial_capital'],
    [JSON.stringify({ ...valid, initial_capital: '1000' }), 'initial_capital'],
    [JSON.stringify({ ...valid, commission: false }), 'commission'],
    [JSON.stringify(valid).replace(/}$/, ',"initial_capital":1e999}'), 'initial_capital'],
    [JSON.stringify(valid).replace(/}$/, ',"slippage":-1e999}'), 'slippage'],
  ];
  for (const url of [`${backendUrl}/api/v1/backtests/start`, `${workerUrl}/backtests/start`]) {
    for (const [body, field] of cases) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const reply = (await res.json()) as { detail: string; code: string };
      assert.equal(res.status, 400, `${url} ${body}`);
      assert.match(reply.detail, new RegExp(field), body);
      assert.equal(reply.code, 'VALIDATION_FAILED');
    }
  }
  const training = await fetch(`${backendUrl}/api/v1/training/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ strategy_name: 'rsi_macd_1h', prefer_gpu: 'yes' }) });
  assert.equal(training.status, 400);
  // Query strings are text and still coerce.
  assert.equal((await fetch(`${backendUrl}/api/v1/operations?limit=5&active_only=true`)).status, 200);
});

test('a worker refuses a start it cannot run with 400 (it used to accept it with 200 and fail later)', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { workerUrl } = await startServers(t, { sandbox });
  const res = await fetch(`${workerUrl}/backtests/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...base, strategy_name: 'no_such_strategy' }) });
  const reply = (await res.json()) as { detail: string; code: string };
  assert.equal(res.status, 400, JSON.stringify(reply));
  assert.match(reply.detail, /strategy_name/);
  const health = (await (await fetch(`${workerUrl}/health`)).json()) as { worker_status: string };
  assert.equal(health.worker_status, 'idle');
});
