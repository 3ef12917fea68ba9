import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadBackendConfig } from '../../src/config/env.js';
import { startBackend } from '../../src/bin/backend.js';
import { createWorker } from '../../src/worker-kit/create-worker.js';
import { api, tempDir, waitForWorkers } from '../helpers/cluster.js';
import { dataProcessingJob, dataProcessingRoute } from './data-processing-worker.js';

test('a worker started before its network is up re-detects its endpoint at each registration instead of registering 0.0.0.0 forever', async (t) => {
  const dir = tempDir();
  const log = pino({ level: 'silent' });
  const config = loadBackendConfig({}, { port: 0, host: '127.0.0.1', dbPath: join(dir.path, 'db'), healthCheckIntervalMs: 60_000 });
  const backend = await startBackend(config, { log, startRoutes: [dataProcessingRoute] });
  const worker = createWorker({ log }, {
    workerId: 'dp-late-net',
    workerType: 'data_processing',
    service: 'data-processing-worker',
    jobs: [dataProcessingJob],
    apiUrl: backend.url,
  });
  t.after(async () => {
    await worker.close();
    await backend.close();
    dir.remove();
  });
  await worker.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (worker.app.server.address() as { port: number }).port;
  // What address detection gives before and after the network comes up.
  const detected: string[] = [];
  let networkUp = false;
  worker.startRegistration(async () => {
    const url = networkUp ? `http://127.0.0.1:${port}` : `http://0.0.0.0:${port}`;
    detected.push(url);
    networkUp = true;
    return url;
  });
  const [w] = await waitForWorkers(backend.url, 1);
  assert.equal(w.endpoint_url, `http://127.0.0.1:${port}`);
  assert.deepEqual(detected, [`http://0.0.0.0:${port}`, `http://127.0.0.1:${port}`], 'refused once (0.0.0.0), detected anew, registered');
  assert.equal((await api(backend.url, '/api/v1/workers/dp-late-net')).body.status, 'available');
});
