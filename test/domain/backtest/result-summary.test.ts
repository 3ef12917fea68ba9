import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBacktestEngine } from '../../../src/domain/backtest/engine.js';
import { summarizeBacktest } from '../../../src/domain/backtest/result-summary.js';
import { InvalidBacktestInputError } from '../../../src/domain/backtest/invalid-backtest-input-error.js';
import { randomRun } from './backtest-fixtures.js';

test('summarizeBacktest: metrics, ≤ 2000 curve points, first and last 50 trades', () => {
  const { bars, probabilities } = randomRun(20_000, 21);
  const r = runBacktestEngine({ bars, probabilities, config: { startIndex: 100 } });
  assert.ok(r.trades.length > 100, `${r.trades.length} trades`);
  const s = summarizeBacktest(r);
  assert.equal(s.metrics, r.metrics);
  assert.equal(s.trade_count, r.trades.length);
  assert.equal(s.trades.length, 100);
  assert.deepEqual(s.trades.slice(0, 50).map((t) => t.trade_id), Array.from({ length: 50 }, (_, k) => k + 1));
  assert.equal(s.trades[99]!.trade_id, r.trades.length);
  assert.equal(s.trades[50]!.trade_id, r.trades.length - 49);
  assert.ok(s.equity_curve.length <= 2000);
  assert.equal(s.equity_curve[0]!.time, new Date(bars.time[100]!).toISOString()); // starts at startIndex
  assert.equal(s.equity_curve[s.equity_curve.length - 1]!.equity, r.finalCash);
  const deepest = Math.max(...s.equity_curve.map((p) => p.drawdown_pct));
  assert.ok(Math.abs(deepest - r.metrics.max_drawdown_pct) < 1e-12, 'max drawdown visible on the curve');
  assert.doesNotThrow(() => JSON.stringify(s));
  const few = summarizeBacktest(r, { maxEquityPoints: 10, tradesHeadTail: 5000 });
  assert.ok(few.equity_curve.length <= 10);
  assert.equal(few.trades.length, r.trades.length);
  assert.throws(() => summarizeBacktest(r, { maxEquityPoints: 1 }), InvalidBacktestInputError);
});
