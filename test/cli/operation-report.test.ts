import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backtestMetricRows,
  formatCompletionReport,
  formatEpochLine,
  formatTrainingReport,
  isTrainingOperation,
} from '../../src/cli/operation-report.js';
import { makeOperation } from './helpers/fake-backend.js';

const metrics = {
  total_return: 5230.5,
  total_return_pct: 0.052305,
  annualized_return: 0.1071,
  sharpe_ratio: 1.2345,
  sortino_ratio: 1.9,
  max_drawdown: 3100,
  max_drawdown_pct: 0.031,
  win_rate: 0.55,
  winning_trades: 11,
  total_trades: 20,
  profit_factor: 1.8,
  total_fees: 42.1,
  buy_and_hold_return_pct: -0.0125,
  exposure_pct: 0.4,
};

test('backtest metrics: fractions become percentages, amounts get separators', () => {
  const rows = Object.fromEntries(backtestMetricRows({ metrics, trade_count: 20 }));
  assert.equal(rows['Total return'], '5.23% (5,230.50)');
  assert.equal(rows['Annualized return'], '10.71%');
  assert.equal(rows['Sharpe ratio'], '1.23');
  assert.equal(rows['Sortino ratio'], '1.90');
  assert.equal(rows['Max drawdown'], '3.10% (3,100.00)');
  assert.equal(rows['Win rate'], '55.00% (11/20)');
  assert.equal(rows['Profit factor'], '1.80');
  assert.equal(rows['Trades'], '20');
  assert.equal(rows['Fees'], '42.10');
  assert.equal(rows['Buy & hold return'], '-1.25%');
  assert.equal(rows['Exposure'], '40.00%');
});

test('backtest metrics: missing metrics are left out, a flat metrics object is accepted', () => {
  const rows = backtestMetricRows({ total_trades: 42, profit_factor: 1.85, sharpe_ratio: 2.1 });
  assert.deepEqual(rows, [
    ['Sharpe ratio', '2.10'],
    ['Profit factor', '1.85'],
    ['Trades', '42'],
  ]);
});

test('completion report of a backtest names the operation and prints the metrics table', () => {
  const op = makeOperation({ operation_id: 'op_b', status: 'completed', result_summary: { metrics, trade_count: 20 } });
  const text = formatCompletionReport(op);
  assert.match(text, /^Backtest op_b completed \(rsi_macd_1h, EURUSD 1h, 2024-01-01 → 2024-06-30\)/);
  assert.match(text, /Metric\s+Value/);
  assert.match(text, /Sharpe ratio\s+1\.23/);
});

test('epoch line: losses with 4 decimals, accuracies as %, null validation left out', () => {
  assert.equal(
    formatEpochLine({ epoch: 3, train_loss: 0.69314, train_accuracy: 0.523, val_loss: null, val_accuracy: null, learning_rate: 0.001, duration_s: 1.24 }),
    'Epoch 3: train_loss=0.6931 train_acc=52.30% lr=0.001 (1.2s)',
  );
  assert.equal(formatEpochLine({ epoch: 1, train_loss: 1, custom_metric: 0.25 }), 'Epoch 1: train_loss=1.0000 custom_metric=0.25');
});

test('training report: epoch table, test accuracy vs baseline in points, model path, other fields', () => {
  const op = makeOperation({
    operation_id: 'op_t',
    operation_type: 'training',
    status: 'completed',
    result_summary: {
      model_path: '/models/rsi/1h_v2',
      test_accuracy: 0.612,
      baseline_accuracy: 0.48,
      epochs_trained: 2,
      backend: 'cpu',
      symbols: ['EURUSD', 'GBPUSD'],
      split_rows: { train: 700, validation: 150, test: 150 },
      nested: { deep: { x: 1 } },
    },
  });
  assert.ok(isTrainingOperation(op));
  const text = formatTrainingReport(op, [
    { epoch: 1, train_loss: 1.1, train_accuracy: 0.4, val_loss: 1.2, val_accuracy: 0.38, learning_rate: 0.001, duration_s: 0.5 },
    { epoch: 2, train_loss: 0.9, train_accuracy: 0.5, val_loss: 1.0, val_accuracy: 0.45, learning_rate: 0.001, duration_s: 0.5 },
  ]);
  assert.match(text, /Epoch\s+Train loss\s+Train acc\s+Val loss\s+Val acc\s+LR\s+Time/);
  assert.match(text, /\n\s+2\s+0\.9000\s+50\.00%\s+1\.0000\s+45\.00%\s+0\.001\s+0\.5s\n/);
  // 61.2 − 48.0 = 13.2 points
  assert.match(text, /Test accuracy:\s+61\.20% \(baseline 48\.00%, \+13\.20 pts\)/);
  assert.match(text, /Model:\s+\/models\/rsi\/1h_v2/);
  assert.match(text, /epochs_trained:\s+2/);
  assert.match(text, /symbols:\s+EURUSD, GBPUSD/);
  assert.match(text, /split_rows:\s+train 700, validation 150, test 150/);
  assert.doesNotMatch(text, /nested/);
});

test('training report falls back to the summary history when the metrics endpoint had none', () => {
  const op = makeOperation({
    operation_id: 'op_t2',
    operation_type: 'training',
    status: 'completed',
    result_summary: { metrics: { history: [{ epoch: 1, train_loss: 0.5 }], test: { accuracy: 0.4, baseline_accuracy: 0.5 } } },
  });
  const text = formatTrainingReport(op, []);
  assert.match(text, /\n\s+1\s+0\.5000/);
  assert.match(text, /Test accuracy:\s+40\.00% \(baseline 50\.00%, -10\.00 pts\)/);
});

test('a backtest report shows the bars it covered and warns when the dates reach past the data', () => {
  const op = makeOperation({
    operation_id: 'op_bt',
    operation_type: 'backtesting',
    status: 'completed',
    result_summary: {
      metrics,
      data_range: { first_bar: '2024-01-01T00:00:00Z', last_bar: '2024-12-31T23:00:00Z' },
      warnings: ['end_date 2025-06-30 is past the end of the EURUSD 1h data (last bar 2024-12-31 23:00 UTC): results stop at 2024-12-31 23:00 UTC'],
    },
  });
  const text = formatCompletionReport(op);
  assert.match(text, /^Data: 2024-01-01 00:00 → 2024-12-31 23:00 UTC$/m);
  assert.match(text, /^Warning: end_date 2025-06-30 is past the end of the EURUSD 1h data/m);
  const training = formatTrainingReport(
    makeOperation({ operation_id: 'op_tr', operation_type: 'training', status: 'completed', result_summary: { model_path: 'm', warnings: ['start_date 2015-01-01 is before …'] } }),
    [],
  );
  assert.match(training, /^Warning: start_date 2015-01-01 is before …$/m);
  assert.doesNotMatch(training, /^warnings/m);
});
