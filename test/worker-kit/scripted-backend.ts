/**
 * A scripted backend for worker-kit tests, and a worker (chain and checked jobs) that reports to it.
 * It records every report and answers op X's final report with `nexts[X]` (when the worker says it
 * is idle) and `aheads[X]` (when it says it can hold a job ahead), after `holds[X]` when there is one.
 */
import type { TestContext } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import { createWorker } from '../../src/worker-kit/create-worker.js';
import { api } from '../helpers/cluster.js';
import { chainJob, checkedJob } from './chain-job.js';

export interface Report {
  id: string;
  body: {
    attempt_id: string;
    worker_id?: string;
    status: string;
    progress?: { percentage: number; current_step: string | null };
    metrics?: unknown[];
    result_summary?: { sum: number; scale: number; threadId: number };
    error_message?: string | null;
    accepting_work?: boolean;
    prefetch?: boolean;
    prefetched?: { operation_id: string; attempt_id: string };
  };
}

export type Job = { operation_id: string; attempt_id: string; path: string; body: Record<string, unknown> };

export async function scriptedBackend(t: TestContext, script: { nexts?: Record<string, Job>; aheads?: Record<string, Job>; holds?: Record<string, Promise<void>> }) {
  const reports: Report[] = [];
  const logs: string[] = [];
  const backend = Fastify();
  backend.post('/api/v1/workers/register', async () => ({ success: true }));
  backend.post<{ Params: { id: string }; Body: Report['body'] }>('/api/v1/operations/:id/report', async (req) => {
    reports.push({ id: req.params.id, body: req.body });
    if (req.body.status === 'running') return { accepted: true, status: 'running' };
    await script.holds?.[req.params.id];
    const next = req.body.accepting_work ? script.nexts?.[req.params.id] : undefined;
    const prefetch = req.body.prefetch ? script.aheads?.[req.params.id] : undefined;
    return { accepted: true, status: req.body.status, ...(next ? { next } : {}), ...(prefetch ? { prefetch } : {}) };
  });
  await backend.listen({ port: 0, host: '127.0.0.1' });
  const apiUrl = `http://127.0.0.1:${(backend.server.address() as { port: number }).port}`;
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const worker = createWorker({ log }, { workerId: 'chain-w', workerType: 'chain', service: 'chain-worker', jobs: [chainJob, checkedJob], apiUrl });
  t.after(async () => {
    await worker.close();
    await backend.close();
  });
  await worker.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(worker.app.server.address() as { port: number }).port}`;
  const finals = () => reports.filter((r) => r.body.status !== 'running');
  /** Asks the worker to give back a job given ahead; its answer's `outcome`. */
  const revoke = async (j: Job) => (await api(url, '/api/v1/prefetch/revoke', { method: 'POST', body: { operation_id: j.operation_id, attempt_id: j.attempt_id } })).body.outcome as string;
  return { reports, finals, worker, url, logs, revoke };
}
