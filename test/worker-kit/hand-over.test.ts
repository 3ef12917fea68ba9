import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { pino } from 'pino';
import { createWorker } from '../../src/worker-kit/create-worker.js';
import { api, waitFor } from '../helpers/cluster.js';
import { dataProcessingJob } from './data-processing-worker.js';

interface Report {
  id: string;
  body: { attempt_id: string; status: string; result_summary?: unknown; error_message?: string | null };
}

/**
 * A job handed over in a report reply goes through the start route's own body validator: schema
 * defaults are filled in (the backend's sweeps store requests without them), bad bodies are
 * reported failed at once instead of running.
 */
test('a handed-over job gets the schema defaults the start route would fill in; an invalid one is reported failed', async (t) => {
  const log = pino({ level: 'silent' });
  const reports: Report[] = [];
  // The backend's side of the conversation, scripted: the first final report hands over a job
  // without `scale` (default 1), the second one a job whose body is invalid.
  const nexts = [
    { operation_id: 'op-2', attempt_id: 'a2', path: '/data/start', body: { values: [1, 2], task_id: 'op-2', attempt_id: 'a2' } },
    { operation_id: 'op-3', attempt_id: 'a3', path: '/data/start', body: { values: [], task_id: 'op-3', attempt_id: 'a3' } },
  ];
  // The reply to op-1's final report waits until the test has looked at the worker meanwhile.
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const backend = Fastify();
  backend.post('/api/v1/workers/register', async () => ({ success: true }));
  backend.post<{ Params: { id: string }; Body: Report['body'] }>('/api/v1/operations/:id/report', async (req) => {
    reports.push({ id: req.params.id, body: req.body });
    const final = req.body.status !== 'running';
    if (final && req.params.id === 'op-1') await released;
    const next = final ? nexts.shift() : undefined;
    return { accepted: true, status: req.body.status, ...(next ? { next } : {}) };
  });
  await backend.listen({ port: 0, host: '127.0.0.1' });
  const worker = createWorker({ log }, {
    workerId: 'dp-h',
    workerType: 'data_processing',
    service: 'data-processing-worker',
    jobs: [dataProcessingJob],
    apiUrl: `http://127.0.0.1:${(backend.server.address() as { port: number }).port}`,
  });
  t.after(async () => {
    await worker.close();
    await backend.close();
  });
  await worker.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(worker.app.server.address() as { port: number }).port}`;

  const first = await api(url, '/data/start', { method: 'POST', body: { values: [5], scale: 2, task_id: 'op-1', attempt_id: 'a1' } });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  await waitFor('op-1 pushed', () => reports.some((r) => r.id === 'op-1' && r.body.status === 'completed') || undefined);
  release();
  const finals = await waitFor('three final reports', () => {
    const f = reports.filter((r) => r.body.status !== 'running');
    return f.length === 3 ? f : undefined;
  });
  assert.deepEqual(reports.filter((r) => r.body.status === 'running').map((r) => r.id), ['op-1'], 'only the directly started job claims');
  assert.deepEqual(finals.map((r) => [r.id, r.body.attempt_id, r.body.status]), [
    ['op-1', 'a1', 'completed'],
    ['op-2', 'a2', 'completed'],
    ['op-3', 'a3', 'failed'],
  ]);
  assert.deepEqual(finals[1]!.body.result_summary, { sum: 3, count: 2 }, 'scale defaulted to 1');
  assert.match(finals[2]!.body.error_message ?? '', /could not start it: invalid request: \/values/);
});
