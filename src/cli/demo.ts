/**
 * `npm run demo`: a local cluster (2 backtesting workers, 1 training worker), trains a shipped
 * strategy, backtests it with the new model, prints the metrics, and keeps the cluster up until
 * Ctrl+C (`--exit` stops right after, for scripts).
 */
import { pathToFileURL } from 'node:url';
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { BacktestResultSummary, TrainingResultSummary, type Operation } from '../contracts/index.js';
import { BackendClient } from './backend-client.js';
import { processCliIo } from './cli-io.js';
import { followOperation } from './follow.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';

/** Follows an operation to its end with the CLI's progress line; the demo's own SIGINT handler stops the cluster. */
async function follow(client: BackendClient, operationId: string): Promise<Operation> {
  const outcome = await followOperation(client, operationId, { io: { ...processCliIo(), onInterrupt: undefined } });
  return outcome.operation;
}

/** The operation's result summary, checked against its contract. */
function summaryOf<S extends TSchema>(schema: S, op: Operation): Static<S> {
  if (!Value.Check(schema, op.result_summary)) {
    const [e] = Value.Errors(schema, op.result_summary);
    throw new Error(`${op.operation_id}: result_summary does not match the contract (${e?.instancePath ?? ''} ${e?.message ?? ''})`);
  }
  return op.result_summary as Static<S>;
}

const pct = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(2)} %` : '-');
const num = (x: unknown, d = 2) => (typeof x === 'number' ? x.toFixed(d) : '-');

export async function runDemo(opts: { exit: boolean; port: number }): Promise<void> {
  const out = process.stdout;
  const t0 = Date.now();
  out.write('Starting a local cluster (backend + 2 backtesting workers + 1 training worker)…\n');
  const cluster: LocalCluster = await startLocalCluster({ backtestWorkers: 2, trainingWorkers: 1, port: opts.port });
  const base = cluster.apiUrl;
  const client = new BackendClient({ baseUrl: base });
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
    const train = await client.startTraining({ strategy_name: strategy, start_date: '2019-01-01', end_date: '2023-12-31' });
    out.write(`  ${train.operation_id} on ${train.worker_id ?? '(queued)'}\n`);
    const trained = await follow(client, train.operation_id);
    if (trained.status !== 'completed') throw new Error(`training ${trained.status}: ${trained.error_message}`);
    const t = summaryOf(TrainingResultSummary, trained);
    out.write(
      `  model ${t.model_path} (backend ${t.backend}, ${t.epochs_trained} epochs): ` +
        `test accuracy ${pct(t.test_accuracy)} vs ${pct(t.train_majority_accuracy)} for always ${t.train_majority_class ?? '?'} (the training majority); ` +
        `balanced accuracy ${pct(t.test_balanced_accuracy)} (chance 33.33 %), kappa ${num(t.test_cohen_kappa)}\n`,
    );

    out.write(`\nBacktesting ${strategy} with that model on 2024-01-01 → 2024-12-31…\n`);
    const bt = await client.startBacktest({ strategy_name: strategy, model_path: t.model_path, start_date: '2024-01-01', end_date: '2024-12-31' });
    out.write(`  ${bt.operation_id} on ${bt.worker_id ?? '(queued)'}\n`);
    const done = await follow(client, bt.operation_id);
    if (done.status !== 'completed') throw new Error(`backtest ${done.status}: ${done.error_message}`);
    const summary = summaryOf(BacktestResultSummary, done);
    const m = summary.metrics;
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
      ['buy & hold', pct(summary.benchmarks?.buy_and_hold?.['total_return_pct'])],
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
