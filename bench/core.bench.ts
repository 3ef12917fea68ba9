/**
 * Core benchmarks: one health-check round over 1,000 registered workers (one process serving 1,000
 * ports). Dispatch latency and status polls are measured with the backend and workers as separate
 * processes in cluster.bench.ts.
 */
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { HealthMonitor } from '../src/core/registry/health-monitor.js';
import { WorkerRegistry } from '../src/core/registry/worker-registry.js';
import { WorkerClient } from '../src/core/worker-client.js';
import type { BenchResult } from './cluster.bench.js';

export async function benchCore(): Promise<BenchResult[]> {
  const log = pino({ level: 'silent' });
  const results: BenchResult[] = [];

  // One health-check round over 1,000 workers: one process, 1,000 tiny /health servers.
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
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchCore()) console.log(`${r.name.padEnd(50)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
