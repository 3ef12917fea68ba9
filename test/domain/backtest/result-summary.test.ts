import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBacktestEngine } from '../../../src/domain/backtest/engine.js';
import { downsampleEquity, drawdownSeries, summarizeBacktest } from '../../../src/domain/backtest/result-summary.js';
import { mulberry32, randomRun } from './backtest-fixtures.js';

test('downsampleEquity keeps every point when they fit', () => {
  assert.deepEqual(downsampleEquity([5, 6, 7, 8], 10), [0, 1, 2, 3]);
  assert.deepEqual(downsampleEquity([5, 6, 7, 8], 10, { start: 1 }), [1, 2, 3]);
  assert.deepEqual(downsampleEquity([], 10), []);
});

test('downsampleEquity stays within the budget and keeps first, last, extremes and the deepest drawdown', () => {
  const rnd = mulberry32(5);
  const equity = new Float64Array(50_000);
  let e = 1000;
  for (let i = 0; i < equity.length; i++) equity[i] = e *= 1 + (rnd() - 0.5) * 0.01;
  // Plant a sharp one-bar crash a naive stride would likely miss.
  equity[31_337] = equity[31_336]! * 0.5;
  const idx = downsampleEquity(equity, 2000);
  assert.ok(idx.length <= 2000 && idx.length >= 2 + 666, `${idx.length} points`);
  for (let k = 1; k < idx.length; k++) assert.ok(idx[k]! > idx[k - 1]!, 'strictly increasing');
  assert.equal(idx[0], 0);
  assert.equal(idx[idx.length - 1], equity.length - 1);
  let minI = 0;
  let maxI = 0;
  for (let i = 1; i < equity.length; i++) {
    if (equity[i]! < equity[minI]!) minI = i;
    if (equity[i]! > equity[maxI]!) maxI = i;
  }
  assert.ok(idx.includes(minI) && idx.includes(maxI), 'global min and max kept');
  assert.ok(idx.includes(31_337), 'the crash bar is kept');
  // The drawdown at the kept points reaches the full-resolution maximum.
  const dd = drawdownSeries(equity);
  const fullMax = Math.max(...dd);
  assert.equal(Math.max(...idx.map((i) => dd[i]!)), fullMax);
});

test('drawdownSeries is (running peak − equity) / running peak', () => {
  assert.deepEqual(Array.from(drawdownSeries([100, 120, 90, 130, 117])), [0, 0, 0.25, 0, 0.1]);
});

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
});
