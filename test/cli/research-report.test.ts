import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBacktestContext, formatModelEvaluation } from '../../src/cli/research-report.js';

test('model evaluation block: balanced accuracy vs chance, kappa, train-majority baseline, per-class table, confusion matrix', () => {
  const text = formatModelEvaluation({
    test_balanced_accuracy: 0.5,
    test_macro_f1: 0.4567,
    test_cohen_kappa: 0.1234,
    train_majority_class: 'HOLD',
    train_majority_accuracy: 0.61,
    chance_accuracy: 0.42,
    test_per_class: [
      { label: 'BUY', precision: 0.5, recall: 0.25, f1: 0.333, support: 8 },
      { label: 'HOLD', precision: 0.7, recall: 0.9, f1: 0.79, support: 30 },
      { label: 'SELL', precision: 0.2, recall: 0.1, f1: 0.13, support: 10 },
    ],
    test_confusion_matrix: [[2, 6, 0], [1, 27, 2], [1, 8, 1]],
  });
  assert.match(text, /Balanced accuracy: +50\.00% \(chance 33\.33%\)/);
  assert.match(text, /Cohen's kappa: +0\.123/);
  assert.match(text, /always HOLD: accuracy 61\.00%/);
  assert.match(text, /HOLD +70\.00% +90\.00% +0\.790 +30/);
  assert.match(text, /SELL +1 +8 +1/);
  assert.equal(formatModelEvaluation({ test_accuracy: 0.5 }), '');
});

test('backtest context: costs, semantics, benchmarks side by side, diagnostics and why there were no trades', () => {
  const text = formatBacktestContext({
    metrics: { total_return_pct: 0, sharpe_ratio: 0, max_drawdown_pct: 0 },
    costs: { asset_class: 'fx', commission_bps: 0.3, slippage_bps: 0, slippage_pips: 0.5, fee_per_trade: 0, sources: { commission: 'default' } },
    trading: { allow_short: false, on_opposite_signal: 'close', position_size: { fraction: 0.25 }, min_signal_separation: { duration: '4h' } },
    model: { version: 'rsi_macd_1h/1h_v3', trained_from: '2019-01-01', trained_to: '2023-12-31', out_of_sample: true },
    benchmarks: { buy_and_hold: { total_return_pct: 0.05, sharpe_ratio: 0.4, max_drawdown_pct: 0.1 }, buy_and_hold_full: { total_return_pct: 0.2, sharpe_ratio: 0.4, max_drawdown_pct: 0.35 } },
    diagnostics: { decision_bars: 10, raw_buy: 2, raw_sell: 1, raw_hold: 7, executed: 0, below_threshold: 3, no_trade_reasons: ['3 BUY/SELL signals were below the confidence threshold 0.6'] },
  });
  assert.match(text, /Costs: +commission 0\.30 bps, slippage 0\.5 pip per fill \(fx defaults\)/);
  assert.match(text, /Positions: +long-only, opposite signal close, size 25\.00% of equity, separation 4h since the last fill/);
  assert.match(text, /Model: +rsi_macd_1h\/1h_v3, trained on 2019-01-01 → 2023-12-31: this run is OUT of sample/);
  assert.match(text, /Buy & hold \(100 %, costs\) +20\.00% +0\.40 +35\.00%/);
  assert.match(text, /No trades: 3 BUY\/SELL signals were below the confidence threshold 0\.6/);
  assert.equal(formatBacktestContext({ metrics: {} }), '');
});

test('an operation subject names the model version when the backtest used a model', async () => {
  const { describeOperationSubject } = await import('../../src/cli/operation-report.js');
  const md = { symbol: 'EURUSD', timeframe: '1h', start_date: '2024-01-01', end_date: '2024-06-30' };
  assert.equal(describeOperationSubject({ metadata: { ...md, parameters: { strategy_name: 'rsi_macd_1h', model_version: 'rsi_macd_1h/1h_v3' } } }), 'rsi_macd_1h/1h_v3, EURUSD 1h, 2024-01-01 → 2024-06-30');
  assert.equal(describeOperationSubject({ metadata: { ...md, parameters: { strategy_name: 'rsi_reversion_rules', model_version: null } } }), 'rsi_reversion_rules, EURUSD 1h, 2024-01-01 → 2024-06-30');
});
