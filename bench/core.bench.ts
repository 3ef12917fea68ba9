/**
 * Core benchmarks: a worker's /health while its job burns a core, and health-check rounds over many
 * registered workers — the monitor in this process, the workers' /health servers in another (one
 * process serving N ports). Dispatch latency and
 * status polls are measured with the backend and workers as separate processes in cluster.bench.ts.
 */
import { fork } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { HealthMonitor } from '../src/core/registry/health-monitor.js';
import { WorkerRegistry } from '../src/core/registry/worker-registry.js';
import { HttpWorkerClient } from '../src/net/http-worker-client.js';
import { Type } from 'typebox';
import { requestJson } from '../src/net/http-json.js';
import { createWorker } from '../src/worker-kit/create-worker.js';
import { defineJob } from '../src/worker-kit/job.js';
import type { BenchResult } from './cluster.bench.js';

async function healthRound(count: number, results: BenchResult[]): Promise<void> {
  const log = pino({ level: 'silent' });
  const child = fork(new URL('./procs/health-servers-proc.js', import.meta.url), [String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { ports } = await new Promise<{ ports: number[] }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { ports: number[] }));
      child.once('exit', (code) => reject(new Error(`health servers exited with ${code}`)));
    });
    const registry = new WorkerRegistry();
    ports.forEach((port, i) => registry.register({ worker_id: `w${i}`, worker_type: 'backtesting', endpoint_url: `http://127.0.0.1:${port}` }));
    const client = new HttpWorkerClient();
    const monitor = new HealthMonitor({ registry, client, log }, { timeoutMs: 5_000 });
    await monitor.checkAll(); // warm-up (JIT; connections may or may not survive until the next round)
    const rounds: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < 3; r++) {
      // Rounds are seconds apart in a backend (HEALTH_CHECK_INTERVAL_SECONDS): idle connections must last.
      await new Promise((res) => setTimeout(res, 5_000));
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await monitor.checkAll();
      const c = process.cpuUsage(c0);
      rounds.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
    }
    rounds.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const target = count >= 5000 ? '; target < 1000' : '';
    results.push({ name: `health-check round over ${count.toLocaleString('en-US')} workers (median of 3${target})`, value: rounds[1]!, unit: 'ms' });
    // What the round costs the backend's own core (the other side is the workers' processes).
    results.push({ name: `  of which CPU in the monitoring process, per probe`, value: (cpu[1]! * 1000) / count, unit: 'µs' });
    const healthy = registry.list().filter((w) => w.healthCheckFailures === 0).length;
    results.push({ name: `workers healthy after the rounds`, value: healthy, unit: `of ${count}` });
    await monitor.close();
    client.close();
  } finally {
    child.kill();
  }
}

/** A worker's /health while its job thread burns a CPU core (the seeds: answers in < 100 ms). */
async function healthWhileBusy(results: BenchResult[]): Promise<void> {
  const log = pino({ level: 'silent' });
  const job = defineJob({
    domain: 'backtests',
    operationType: 'backtesting',
    params: Type.Object({ fixture: Type.Optional(Type.Any()) }),
    module: new URL('./fixtures/sleep-job-thread.js', import.meta.url),
  });
  // No backend: registration retries in the background, and a start without attempt_id needs no claim.
  const worker = createWorker({ log }, { workerId: 'bench-busy', workerType: 'backtesting', service: 'bench', jobs: [job], apiUrl: 'http://127.0.0.1:9' });
  await worker.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(worker.app.server.address() as { port: number }).port}`;
  try {
    const start = await requestJson({ method: 'POST', url: `${url}/backtests/start`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fixture: { cpu_ms: 4_000 } }), timeoutMs: 5_000 });
    if (start.status !== 200) throw new Error(`start: HTTP ${start.status} ${start.text}`);
    const times: number[] = [];
    let busy = 0;
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const h = await requestJson({ method: 'GET', url: `${url}/health`, timeoutMs: 5_000 });
      times.push(performance.now() - t0);
      if ((JSON.parse(h.text) as { worker_status: string }).worker_status === 'busy') busy++;
      await new Promise((r) => setTimeout(r, 20));
    }
    times.sort((a, b) => a - b);
    results.push({ name: 'worker /health during a CPU-bound job p50', value: times[25]!, unit: 'ms' });
    results.push({ name: 'worker /health during a CPU-bound job max (target < 100)', value: times.at(-1)!, unit: 'ms' });
    results.push({ name: 'health answers saying busy', value: busy, unit: 'of 50' });
  } finally {
    await worker.close();
  }
}

export async function benchCore(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  await healthWhileBusy(results);
  await healthRound(1000, results);
  await healthRound(5000, results);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchCore()) console.log(`${r.name.padEnd(70)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
