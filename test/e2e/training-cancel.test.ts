import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { api, startBackend, startRealWorker, tempDir, waitFor, waitForStatus, waitForWorkers } from '../helpers/cluster.js';

test('cancel during training: cancelled on both sides, and no _latest pointer to a half-written model', async (t) => {
  const dir = tempDir();
  const modelsDir = join(dir.path, 'models');
  const env = { KTRDR_MODELS_DIR: modelsDir };
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  const worker = await startRealWorker(backend.url, 'training', `trainer-${process.pid}`, env);
  t.after(async () => {
    await worker.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  const r = await api(backend.url, '/api/v1/training/start', { method: 'POST', body: { strategy_name: 'rsi_macd_1h' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const id = r.body.operation_id as string;
  await waitFor('first epoch', async () => {
    const m = (await api(backend.url, `/api/v1/operations/${id}/metrics?cursor=0`)).body.data.metrics;
    return m.length >= 1 || undefined;
  }, { timeoutMs: 60_000, intervalMs: 50 });
  const c = await api(backend.url, `/api/v1/operations/${id}/cancel`, { method: 'DELETE', body: { reason: 'enough' } });
  assert.equal(c.status, 200);
  const op = await waitForStatus(backend.url, id, ['cancelled', 'completed', 'failed'], 20_000);
  assert.equal(op.status, 'cancelled', op.error_message);
  const onWorker = (await api(worker.url, `/api/v1/operations/${id}`)).body.data;
  assert.equal(onWorker.status, 'cancelled');
  const strategyDir = join(modelsDir, 'rsi_macd_1h');
  assert.equal(existsSync(join(strategyDir, '1h_latest.json')), false, 'no _latest pointer');
  const versions = existsSync(strategyDir) ? readdirSync(strategyDir).filter((n) => /^1h_v\d+$/.test(n)) : [];
  assert.deepEqual(versions, [], 'no model version written');
});
