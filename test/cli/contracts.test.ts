/**
 * The wire shapes the CLI relies on come from src/contracts, and what the real producers emit
 * matches them: a backtest's result summary (run through the worker's thread entry on the sample
 * data), and the request bodies the CLI builds validate against the schemas the backend uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import { BacktestResultSummary, BacktestStartRequest, TrainingStartRequest, type BacktestStartBody } from '../../src/contracts/index.js';
import { BacktestStartRequest as WorkerBacktestStartRequest } from '../../src/workers/backtest/backtest-request.js';
import { TrainingStartRequest as WorkerTrainingStartRequest } from '../../src/workers/training/training-request.js';
import { run as runBacktestThread } from '../../src/workers/backtest/backtest-thread.js';
import type { ThreadJobContext } from '../../src/worker-kit/job.js';
import { repoRoot } from '../helpers/paths.js';

test('the workers validate starts with the contracts schemas (one source)', () => {
  assert.equal(WorkerBacktestStartRequest, BacktestStartRequest);
  assert.equal(WorkerTrainingStartRequest, TrainingStartRequest);
});

test("a client body without the defaulted fields is a valid request; an unknown field is refused", () => {
  const body: BacktestStartBody = { strategy_name: 'rsi_reversion_rules', start_date: '2024-01-01', end_date: '2024-02-01' };
  assert.ok(Value.Check(BacktestStartRequest, Value.Default(BacktestStartRequest, structuredClone(body))));
  assert.ok(!Value.Check(BacktestStartRequest, { ...body, initial_capital: 1, strategy: 'x' }));
  assert.ok(Value.Check(TrainingStartRequest, { strategy_name: 'rsi_macd_1h', symbols: ['EURUSD'], seed: 7 }));
});

test("a real backtest's result summary matches BacktestResultSummary", async () => {
  const ctx: ThreadJobContext = {
    operationId: 'op-contract',
    settings: { dataDir: join(repoRoot, 'data'), modelsDir: join(repoRoot, 'models'), strategiesDir: join(repoRoot, 'strategies') },
    isCancelled: () => false,
    throwIfCancelled: () => undefined,
    progress: () => undefined,
    metric: () => undefined,
    log: () => undefined,
  };
  const params = Value.Default(BacktestStartRequest, { strategy_name: 'rsi_reversion_rules', symbol: 'EURUSD', start_date: '2024-01-01', end_date: '2024-02-01' }) as BacktestStartRequest;
  const out = await runBacktestThread(params, ctx);
  const errors = [...Value.Errors(BacktestResultSummary, out.summary)].map((e) => `${e.instancePath} ${e.message}`);
  assert.deepEqual(errors, []);
  const summary = out.summary as BacktestResultSummary;
  assert.equal(typeof summary.metrics['total_return_pct'], 'number');
  assert.ok(summary.benchmarks?.buy_and_hold !== undefined);
});
