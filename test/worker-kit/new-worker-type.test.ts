import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadBackendConfig } from '../../src/config/env.js';
import { startBackend } from '../../src/bin/backend.js';
import { createWorker } from '../../src/worker-kit/create-worker.js';
import { api, tempDir, waitForStatus, waitForWorkers } from '../helpers/cluster.js';
import { dataProcessingJob, dataProcessingRoute } from './data-processing-worker.js';

test('a new worker type is one short file on top of the worker kit', async (t) => {
  const dir = tempDir();
  const log = pino({ level: 'silent' });
  const config = loadBackendConfig({}, { port: 0, host: '127.0.0.1', dbPath: join(dir.path, 'db'), healthCheckIntervalMs: 200 });
  const backend = await startBackend(config, { log, startRoutes: [dataProcessingRoute] });
  const worker = createWorker({ log }, {
    workerId: 'dp-1',
    workerType: 'data_processing',
    service: 'data-processing-worker',
    jobs: [dataProcessingJob],
    apiUrl: backend.url,
    registrationCheckIntervalMs: 300,
  });
  t.after(async () => {
    await worker.close();
    await backend.close();
    dir.remove();
  });
  await worker.app.listen({ port: 0, host: '127.0.0.1' });
  worker.startRegistration(`http://127.0.0.1:${(worker.app.server.address() as { port: number }).port}`);
  await waitForWorkers(backend.url, 1);

  const r = await api(backend.url, '/api/v1/data/process', { method: 'POST', body: { values: [1, 2, 3, 4], scale: 10 } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.worker_id, 'dp-1');
  const op = await waitForStatus(backend.url, r.body.operation_id, ['completed']);
  assert.equal(op.operation_type, 'data_processing');
  assert.deepEqual(op.result_summary, { sum: 100, count: 4 });
  const metrics = (await api(backend.url, `/api/v1/operations/${r.body.operation_id}/metrics?cursor=2`)).body.data;
  assert.deepEqual(metrics.metrics, [{ index: 2, scaled: 30 }, { index: 3, scaled: 40 }]);
  const bad = await api(backend.url, '/api/v1/data/process', { method: 'POST', body: { values: [] } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.detail, /^values: /);
});
