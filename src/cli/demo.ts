/**
 * `npm run demo`: a local cluster (2 backtesting workers, 1 training worker), trains a shipped
 * strategy, backtests it with the new model, prints the metrics, and keeps the cluster up until
 * Ctrl+C (`--exit` stops right after, for scripts).
 */
import { pathToFileURL } from 'node:url';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';

interface Op {
  operation_id: string;
  status: string;
  error_message: string | null;
  progress: { percentage: number; current_step: string | null };
  result_summary: Record<string, any> | null;
}

async function call<T>(base: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const json = (await res.json()) as T & { detail?: string; error?: string };
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}: ${json.detail ?? json.error ?? JSON.stringify(json)}`);
  return json;
}

async function follow(base: string, id: string, out: NodeJS.WritableStream): Promise<Op> {
  let last = '';
  for (;;) {
    const { data } = await call<{ data: Op }>(base, `/api/v1/operations/${id}`);
    const line = `  [${data.progress.percentage.toFixed(0).padStart(3)}%] ${data.progress.current_step ?? data.status}`;
    if (line !== last) out.write(`${line}\n`);
    last = line;
    if (['completed', 'failed', 'cancelled'].includes(data.status)) return data;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const pct = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(2)} %` : '-');
const num = (x: unknown, d = 2) => (typeof x === 'number' ? x.toFixed(d) : '-');

export async function runDemo(opts: { exit: boolean; port: number }): Promise<void> {
  const out = process.stdout;
  const t0 = Date.now();
  out.write('Starting a local cluster (backend + 2 backtesting workers + 1 training worker)…\n');
  const cluster: LocalCluster = await startLocalCluster({ backtestWorkers: 2, trainingWorkers: 1, port: opts.port });
  const base = cluster.apiUrl;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    out.write('Stopping the cluster…\n');
    await cluster.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  try {
    for (const p of cluster.processes) out.write(`  ${p.name.padEnd(14)} ${p.url}  (log ${p.logFile})\n`);
    const strategy = 'rsi_macd_1h';
    out.write(`\nTraining ${strategy} on EURUSD 1h, 2019-01-01 → 2023-12-31 (synthetic sample data)…\n`);
    const train = await call<{ operation_id: string; worker_id: string }>(base, '/api/v1/training/start', {
      strategy_name: strategy,
      start_date: '2019-01-01',
      end_date: '2023-12-31',
    });
    out.write(`  ${train.operation_id} on ${train.worker_id}\n`);
    const trained = await follow(base, train.operation_id, out);
    if (trained.status !== 'completed') throw new Error(`training ${trained.status}: ${trained.error_message}`);
    const t = trained.result_summary ?? {};
    out.write(
      `  model ${t['model_path']} (backend ${t['backend']}, ${t['epochs_trained']} epochs): ` +
        `test accuracy ${pct(t['test_accuracy'])} vs ${pct(t['train_majority_accuracy'])} for always ${String(t['train_majority_class'] ?? '?')} (the training majority); ` +
        `balanced accuracy ${pct(t['test_balanced_accuracy'])} (chance 33.33 %), kappa ${num(t['test_cohen_kappa'])}\n`,
    );

    out.write(`\nBacktesting ${strategy} with that model on 2024-01-01 → 2024-12-31…\n`);
    const bt = await call<{ operation_id: string; worker_id: string }>(base, '/api/v1/backtests/start', {
      strategy_name: strategy,
      model_path: t['model_path'],
      start_date: '2024-01-01',
      end_date: '2024-12-31',
    });
    out.write(`  ${bt.operation_id} on ${bt.worker_id}\n`);
    const done = await follow(base, bt.operation_id, out);
    if (done.status !== 'completed') throw new Error(`backtest ${done.status}: ${done.error_message}`);
    const m = (done.result_summary?.['metrics'] ?? {}) as Record<string, unknown>;
    const rows: [string, string][] = [
      ['total return', pct(m['total_return_pct'])],
      ['annualized return', pct(m['annualized_return'])],
      ['sharpe ratio', num(m['sharpe_ratio'])],
      ['sortino ratio', num(m['sortino_ratio'])],
      ['max drawdown', pct(m['max_drawdown_pct'])],
      ['trades', String(m['total_trades'] ?? '-')],
      ['win rate', pct(m['win_rate'])],
      ['profit factor', num(m['profit_factor'])],
      ['total fees', num(m['total_fees'])],
      ['buy & hold', pct((done.result_summary?.['benchmarks'] as { buy_and_hold?: { total_return_pct?: unknown } } | undefined)?.buy_and_hold?.total_return_pct)],
    ];
    out.write('\nBacktest metrics (long-only; buy & hold with the same size and costs)\n');
    for (const [k, v] of rows) out.write(`  ${k.padEnd(20)} ${v.padStart(12)}\n`);
    out.write(`\nDone in ${((Date.now() - t0) / 1000).toFixed(0)} s. API: ${base}/api/v1/operations — dashboard: ${base}/\n`);
    if (opts.exit) {
      await stop();
      return;
    }
    out.write(`The cluster stays up: try KTRDR_API_URL=${base} node dist/src/cli/main.js workers list. Ctrl+C stops it.\n`);
    await new Promise(() => undefined);
  } catch (err) {
    await stop();
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const portArg = args.indexOf('--port');
  runDemo({ exit: args.includes('--exit'), port: portArg >= 0 ? Number(args[portArg + 1]) : 8000 }).catch((err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
