/**
 * Core benchmarks: dispatch latency (submit → running), status polls served from cache, and one
 * health-check round over 1,000 registered workers (one process serving 1,000 ports).
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { loadBackendConfig } from '../src/config/env.js';
import { startBackend } from '../src/bin/backend.js';
import { HealthMonitor } from '../src/core/registry/health-monitor.js';
import { WorkerRegistry } from '../src/core/registry/worker-registry.js';
import { WorkerClient } from '../src/core/worker-client.js';
import { createWorker } from '../src/worker-kit/create-worker.js';
import { defineJob } from '../src/worker-kit/job.js';
import { Type } from 'typebox';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function post(url: string, body: unknown) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as Record<string, unknown>;
}

export async function benchCore(): Promise<BenchResult[]> {
  const log = pino({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-'));
  const results: BenchResult[] = [];
  const config = loadBackendConfig({}, { port: 0, host: '127.0.0.1', dbPath: join(dir, 'db'), healthCheckIntervalMs: 60_000 });
  const backend = await startBackend(config, { log });
  const job = defineJob({
    domain: 'backtests',
    operationType: 'backtesting',
    params: Type.Object({ fixture: Type.Optional(Type.Any()) }),
    module: new URL('../test/fixtures/test-job-thread.js', import.meta.url),
  });
  const workers = [];
  for (let i = 0; i < 3; i++) {
    const w = createWorker({ log }, { workerId: `bench-${i}`, workerType: 'backtesting', service: 'bench', jobs: [job], apiUrl: backend.url });
    await w.app.listen({ port: 0, host: '127.0.0.1' });
    w.startRegistration(`http://127.0.0.1:${(w.app.server.address() as { port: number }).port}`);
    workers.push(w);
  }
  while (backend.registry.size < 3) await new Promise((r) => setTimeout(r, 20));

  // 1. Dispatch latency: POST /backtests/start returns once the worker accepted (op running).
  const latencies: number[] = [];
  const body = { strategy_name: 'rsi_reversion_rules', start_date: '2024-01-01', end_date: '2024-02-01', fixture: { steps: 1, step_ms: 0 } };
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    const r = await post(`${backend.url}/api/v1/backtests/start`, body);
    latencies.push(performance.now() - t0);
    const id = r['operation_id'] as string;
    for (;;) {
      const op = (await (await fetch(`${backend.url}/api/v1/operations/${id}?force_refresh=true`)).json()) as { data: { status: string } };
      if (op.data.status === 'completed') break;
      await new Promise((res) => setTimeout(res, 5));
    }
  }
  latencies.sort((a, b) => a - b);
  results.push({ name: 'dispatch latency p50 (submit → running)', value: pct(latencies, 50), unit: 'ms' });
  results.push({ name: 'dispatch latency p99 (submit → running)', value: pct(latencies, 99), unit: 'ms' });

  // 2. Status polls of a running op, served from the 1 s cache.
  const running = await post(`${backend.url}/api/v1/backtests/start`, { ...body, fixture: { steps: 100, step_ms: 100 } });
  const pollUrl = `${backend.url}/api/v1/operations/${running['operation_id'] as string}`;
  const durationMs = 2_000;
  let polls = 0;
  const until = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        const res = await fetch(pollUrl);
        await res.arrayBuffer();
        polls++;
      }
    }),
  );
  results.push({ name: 'status polls served (cache TTL 1 s, 16 clients)', value: polls / (durationMs / 1000), unit: 'req/s' });
  await Promise.all(workers.map((w) => w.close()));
  await backend.close();

  // 3. One health-check round over 1,000 workers: one process, 1,000 tiny /health servers.
  const servers: Server[] = [];
  const registry = new WorkerRegistry();
  const reply = JSON.stringify({ healthy: true, service: 'bench', timestamp: new Date().toISOString(), status: 'operational', worker_status: 'idle', current_operation: null });
  for (let i = 0; i < 1000; i++) {
    const srv = createServer((_, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(reply);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    servers.push(srv);
    registry.register({ worker_id: `w${i}`, worker_type: 'backtesting', endpoint_url: `http://127.0.0.1:${(srv.address() as { port: number }).port}` });
  }
  const monitor = new HealthMonitor({ registry, client: new WorkerClient(), log }, { timeoutMs: 5_000 });
  await monitor.checkAll(); // warm-up (connections, JIT)
  const t0 = performance.now();
  await monitor.checkAll();
  results.push({ name: 'health-check round over 1,000 workers', value: performance.now() - t0, unit: 'ms' });
  const healthy = registry.list().filter((w) => w.healthCheckFailures === 0).length;
  results.push({ name: 'workers healthy after the round', value: healthy, unit: 'of 1000' });
  await monitor.close();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchCore()) console.log(`${r.name.padEnd(50)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
