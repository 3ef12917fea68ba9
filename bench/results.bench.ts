/**
 * A 1M-bar backtest through a real cluster (`ktrdr backend` + `ktrdr worker backtesting` as
 * processes) against the same backtest in this process (runStrategyBacktest: data, features,
 * signals, bar loop, summary and the full equity curve), on generated 1h bars. Prints both bars/s
 * and the ratio (target ≥ 0.70), the size of the curve the worker pushes, and the worker's RSS
 * after each of `runs` cluster runs (target: flat).
 *
 * `npm run bench -- results` runs it alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../src/cli/local-cluster.js';
import { runStrategyBacktest } from '../src/domain/pipeline/run-strategy-backtest.js';
import { loadStrategy } from '../src/domain/strategy/load-strategy.js';
import type { BenchResult } from './cluster.bench.js';

export interface ResultsBenchOptions {
  /** Bars of the generated series. @defaultValue 1000000 */
  bars?: number;
  /** Cluster runs (after one warm-up run). @defaultValue 20 */
  runs?: number;
}

const HOUR_MS = 3_600_000;
const FIRST_MS = Date.UTC(1900, 0, 1);
const CLI = resolve('dist', 'src', 'cli', 'main.js');

/** A mean-reverting random-walk EURUSD 1h CSV with `n` bars from 1900 on; returns its first and last dates. */
function writeBars(dataDir: string, n: number): { start: string; end: string } {
  mkdirSync(dataDir, { recursive: true });
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ['date,open,high,low,close,volume'];
  let price = 1.1;
  for (let i = 0; i < n; i++) {
    const o = price;
    // Pulled back towards 1.1, so a million steps never walk the price to 0.
    const c = o * (1 + (rnd() - 0.5) * 0.004) + (1.1 - o) * 0.002;
    const h = Math.max(o, c) * (1 + rnd() * 0.001);
    const l = Math.min(o, c) * (1 - rnd() * 0.001);
    lines.push(`${new Date(FIRST_MS + i * HOUR_MS).toISOString().slice(0, 19)}Z,${o.toFixed(5)},${h.toFixed(5)},${l.toFixed(5)},${c.toFixed(5)},1000`);
    price = c;
  }
  writeFileSync(join(dataDir, 'EURUSD_1h.csv'), `${lines.join('\n')}\n`);
  return { start: new Date(FIRST_MS).toISOString().slice(0, 10), end: new Date(FIRST_MS + (n - 1) * HOUR_MS).toISOString().slice(0, 10) };
}

function startProc(args: string[], env: Record<string, string>): { child: ChildProcess; output(): string } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  return { child, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function getJson(url: string, init?: RequestInit): Promise<Record<string, any>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, any>;
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resident set size of a process, in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function benchResults(options: ResultsBenchOptions = {}): Promise<BenchResult[]> {
  const n = options.bars ?? 1_000_000;
  const runs = options.runs ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-bench-results-'));
  const procs: ChildProcess[] = [];
  try {
    const dataDir = join(dir, 'data');
    const { start, end } = writeBars(dataDir, n);
    // The window starts after the indicators' warm-up (history_required: 100 bars).
    const startDate = new Date(FIRST_MS + 200 * HOUR_MS).toISOString().slice(0, 10);
    const request = { strategy_name: 'rsi_reversion_rules', symbol: 'EURUSD', timeframe: '1h', start_date: startDate, end_date: end };

    // In process: the same pipeline the worker's job thread runs, warm (second run timed).
    const strategy = loadStrategy('rsi_reversion_rules', resolve('strategies'));
    const inProcess = async () => {
      const t0 = performance.now();
      const out = await runStrategyBacktest(
        { strategy, dataDir, modelsDir: join(dir, 'models'), symbol: 'EURUSD', timeframe: '1h', startDate, endDate: end, initialCapital: 100_000 },
        { progress() {}, isCancelled: () => false },
      );
      return { seconds: (performance.now() - t0) / 1000, bars: out!.summary.bars, curveBytes: out!.artifact.equity_curve.byteLength };
    };
    await inProcess(); // warm-up
    // In-process runs are interleaved with the cluster runs (one every 5th), so both see the
    // same machine load; the medians are compared.
    const localRuns = [await inProcess()];

    // The cluster: backend and one backtesting worker as `ktrdr` processes.
    const env = { KTRDR_DATA_DIR: dataDir, KTRDR_DB_PATH: join(dir, 'db', 'ktrdr.db'), KTRDR_MODELS_DIR: join(dir, 'models') };
    const apiPort = await freePort();
    const backend = startProc(['backend', '--port', String(apiPort), '--host', '127.0.0.1'], env);
    procs.push(backend.child);
    const api = `http://127.0.0.1:${apiPort}/api/v1`;
    await waitFor('the backend', async () => ((await fetch(`${api}/health`)).ok ? true : undefined), 30_000, 100);
    const workerPort = await freePort();
    const worker = startProc(['worker', 'backtesting', '--port', String(workerPort)], {
      ...env,
      KTRDR_API_URL: `http://127.0.0.1:${apiPort}`,
      WORKER_ID: 'bench-results-w1',
      WORKER_HOST: '127.0.0.1',
      WORKER_ENDPOINT_URL: `http://127.0.0.1:${workerPort}`,
    });
    procs.push(worker.child);
    await waitFor('the worker to register', async () => ((await getJson(`${api}/workers`)) as unknown as unknown[]).length === 1 || undefined, 30_000, 100);

    const runOnce = async (): Promise<{ seconds: number; bars: number }> => {
      const t0 = performance.now();
      const r = await getJson(`${api}/backtests/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
      const id = r['operation_id'] as string;
      // The stored state (no refresh from the worker): completed once the worker's push is applied.
      const op = await waitFor(
        `backtest ${id}`,
        async () => {
          const o = (await getJson(`${api}/operations/${id}`))['data'];
          if (o.status === 'failed') throw new Error(`backtest failed: ${o.error_message}`);
          return o.status === 'completed' ? o : undefined;
        },
        10 * 60_000,
        25, // every poll costs the machine CPU; 25 ms is < 1 % of a 1M-bar run
      );
      return { seconds: (performance.now() - t0) / 1000, bars: op.result_summary.bars as number };
    };
    await runOnce(); // warm-up: the backend's coverage check, the worker's job thread
    const times: number[] = [];
    const rss: number[] = [];
    let bars = 0;
    for (let i = 0; i < runs; i++) {
      if (i > 0 && i % 5 === 0) localRuns.push(await inProcess());
      const r = await runOnce();
      times.push(r.seconds);
      bars = r.bars;
      rss.push(rssMiB(worker.child.pid!));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const local = localRuns[0]!;
    const localRate = local.bars / median(localRuns.map((r) => r.seconds));
    const clusterRate = bars / median(times);
    const resultsDir = join(dir, 'db', 'results');
    const stored = readdirSync(resultsDir).flatMap((d) => readdirSync(join(resultsDir, d)).map((f) => statSync(join(resultsDir, d, f)).size));
    return [
      { name: `bars in the window (generated 1h EURUSD from ${start})`, value: local.bars, unit: 'bars' },
      { name: `in process (runStrategyBacktest, warm, median of ${localRuns.length}): bars/s`, value: localRate, unit: 'bars/s' },
      { name: `through the cluster (submit → completed stored, median of ${runs}): bars/s`, value: clusterRate, unit: 'bars/s' },
      { name: '  ratio cluster / in process (target ≥ 0.70)', value: clusterRate / localRate, unit: '×' },
      { name: 'equity curve pushed per run (series frame, raw bytes in the report frame)', value: local.curveBytes / 1024 / 1024, unit: 'MiB' },
      { name: `result files on the backend (${stored.length} runs, bytes each)`, value: stored[0] ?? Number.NaN, unit: 'bytes' },
      { name: 'worker RSS after run 1', value: rss[0]!, unit: 'MiB' },
      { name: `worker RSS after run ${runs}`, value: rss.at(-1)!, unit: 'MiB' },
      { name: `worker RSS max over ${runs} runs`, value: Math.max(...rss), unit: 'MiB' },
      { name: `worker RSS growth run 1 → ${runs} (target: flat)`, value: rss.at(-1)! - rss[0]!, unit: 'MiB' },
      { name: 'worker RSS per run', value: Number.NaN, unit: '', note: rss.map((v) => v.toFixed(0)).join(' ') },
    ];
  } finally {
    for (const p of procs.reverse()) await stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
}
