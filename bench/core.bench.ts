/**
 * Core benchmarks: health-check rounds over many registered workers — the monitor in this process,
 * the workers' /health servers in another (one process serving N ports). Dispatch latency and
 * status polls are measured with the backend and workers as separate processes in cluster.bench.ts.
 */
import { fork } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { HealthMonitor } from '../src/core/registry/health-monitor.js';
import { WorkerRegistry } from '../src/core/registry/worker-registry.js';
import { HttpWorkerClient } from '../src/net/http-worker-client.js';
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
    const monitor = new HealthMonitor({ registry, client: new HttpWorkerClient(), log }, { timeoutMs: 5_000 });
    await monitor.checkAll(); // warm-up (JIT; connections may or may not survive until the next round)
    const rounds: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await monitor.checkAll();
      rounds.push(performance.now() - t0);
    }
    rounds.sort((a, b) => a - b);
    const target = count >= 5000 ? '; target < 1000' : '';
    results.push({ name: `health-check round over ${count.toLocaleString('en-US')} workers (median of 3${target})`, value: rounds[1]!, unit: 'ms' });
    const healthy = registry.list().filter((w) => w.healthCheckFailures === 0).length;
    results.push({ name: `workers healthy after the rounds`, value: healthy, unit: `of ${count}` });
    await monitor.close();
  } finally {
    child.kill();
  }
}

export async function benchCore(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  await healthRound(1000, results);
  await healthRound(5000, results);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchCore()) console.log(`${r.name.padEnd(70)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
