import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barsPerYear } from '../../../src/domain/backtest/bars-per-year.js';
import { PROFIT_FACTOR_CAP, computeMetrics, type MetricsTrade } from '../../../src/domain/backtest/metrics.js';
import { DAY_MS, T0 } from './backtest-fixtures.js';

function near(actual: number, expected: number, message?: string): void {
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${message ?? ''} expected ${expected}, got ${actual}`);
}
const days = (n: number) => Float64Array.from({ length: n }, (_, i) => T0 + i * DAY_MS);
const iso = (ms: number) => new Date(ms).toISOString();
function trade(net: number, entryMs = T0, exitMs = T0 + DAY_MS, commission = 1): MetricsTrade {
  return { net_pnl: net, commission, holding_period_hours: (exitMs - entryMs) / 3_600_000, entry_time: iso(entryMs), exit_time: iso(exitMs) };
}

test('bars per year: 252 trading days, intraday scaled by bars per day', () => {
  assert.equal(barsPerYear('1d'), 252);
  assert.equal(barsPerYear('1h'), 252 * 24);
  assert.equal(barsPerYear('4h'), 252 * 6);
  assert.equal(barsPerYear('5m'), 252 * 288);
  assert.equal(barsPerYear('1w'), 52);
  assert.equal(barsPerYear('1M'), 12);
  assert.equal(barsPerYear('2d'), 126);
});

test('metrics on a known daily equity curve (returns +10 %, −5 %, +10 %, +2 %)', () => {
  const equity = [100, 110, 104.5, 114.95, 117.249];
  const m = computeMetrics({ equity, time: days(5), trades: [], initialCapital: 100, timeframe: '1d', closes: [10, 11, 12, 13, 15] });
  // mean = (0.1 − 0.05 + 0.1 + 0.02) / 4 = 0.0425
  // squared deviations: 0.0575² + 0.0925² + 0.0575² + 0.0225² = 0.015675; sample var = 0.015675 / 3 = 0.005225
  const std = Math.sqrt(0.005225);
  near(m.sharpe_ratio, (0.0425 / std) * Math.sqrt(252), 'sharpe');
  near(m.volatility, std * Math.sqrt(252), 'volatility');
  // downside deviation = √((−0.05)² / 4) = 0.025
  near(m.sortino_ratio, (0.0425 / 0.025) * Math.sqrt(252), 'sortino');
  near(m.total_return, 17.249, 'total return');
  near(m.total_return_pct, 0.17249, 'total return pct');
  const annual = Math.pow(1.17249, 365.25 / 4) - 1; // 4 days elapsed
  near(m.annualized_return, annual, 'annualized');
  // Peak 110 (bar 1) → trough 104.5 (bar 2) → recovered at bar 3.
  near(m.max_drawdown, 5.5, 'max dd');
  near(m.max_drawdown_pct, 0.05, 'max dd pct');
  assert.equal(m.max_drawdown_duration_bars, 2);
  assert.equal(m.max_drawdown_duration_hours, 48);
  near(m.calmar_ratio, annual / 0.05, 'calmar');
  near(m.buy_and_hold_return_pct, 15 / 10 - 1, 'buy and hold');
});

test('drawdown depth and the longest peak-to-recovery stretch, unrecovered tail included', () => {
  // Peak 120 at bar 1, trough 90 (−25 %), back above 120 at bar 6 (5 bars); then 130 → 125 unrecovered (1 bar).
  const equity = [100, 120, 90, 100, 110, 119, 130, 125];
  const m = computeMetrics({ equity, time: days(8), trades: [], initialCapital: 100, timeframe: '1d', closes: equity });
  assert.equal(m.max_drawdown, 30);
  assert.equal(m.max_drawdown_pct, 0.25);
  assert.equal(m.max_drawdown_duration_bars, 5);
  assert.equal(m.max_drawdown_duration_hours, 5 * 24);
  const tail = computeMetrics({ equity: [100, 90, 95, 80], time: days(4), trades: [], initialCapital: 100, timeframe: '1d', closes: [1, 1, 1, 1] });
  assert.equal(tail.max_drawdown_duration_bars, 3); // never recovered: peak (bar 0) to the end
  assert.equal(tail.max_drawdown, 20);
});

test('startIndex excludes warm-up bars from every metric', () => {
  const m = computeMetrics({ equity: [50, 200, 100, 110], time: days(4), trades: [], initialCapital: 100, timeframe: '1d', closes: [1, 2, 4, 5], startIndex: 2 });
  near(m.total_return_pct, 0.1, 'return');
  assert.equal(m.max_drawdown, 0);
  near(m.buy_and_hold_return_pct, 5 / 4 - 1, 'buy and hold');
  assert.equal(m.sharpe_ratio, 0); // one return: no sample std
});

test('trade statistics, profit factor and exposure', () => {
  const time = days(5);
  const trades = [
    trade(10, time[1], time[3]), // holds bars 1, 2
    trade(5, time[3], time[4]), // holds bar 3
    trade(-3, time[4], time[4]! + DAY_MS), // forced exit at the last close: holds bar 4
    trade(0, time[0], time[0]), // break-even, zero length
  ];
  const m = computeMetrics({ equity: [100, 100, 100, 100, 112], time, trades, initialCapital: 100, timeframe: '1d', closes: [1, 1, 1, 1, 1] });
  assert.equal(m.total_trades, 4);
  assert.equal(m.winning_trades, 2);
  assert.equal(m.losing_trades, 1);
  assert.equal(m.win_rate, 0.5);
  assert.equal(m.profit_factor, (10 + 5) / 3);
  assert.equal(m.avg_win, 7.5);
  assert.equal(m.avg_loss, -3);
  assert.equal(m.largest_win, 10);
  assert.equal(m.largest_loss, -3);
  assert.equal(m.expectancy, (10 + 5 - 3 + 0) / 4);
  assert.equal(m.avg_holding_period, (48 + 24 + 24 + 0) / 4);
  assert.equal(m.total_fees, 4);
  assert.equal(m.exposure_pct, 1); // bars 1–4 are all held
});

test('profit factor with no losing trade is a finite cap; none at all is 0', () => {
  const wins = computeMetrics({ equity: [100, 110], time: days(2), trades: [trade(4), trade(6)], initialCapital: 100, timeframe: '1d', closes: [1, 1] });
  assert.equal(wins.profit_factor, PROFIT_FACTOR_CAP);
  assert.ok(Number.isFinite(wins.profit_factor));
  assert.equal(wins.losing_trades, 0);
  assert.equal(wins.avg_loss, 0);
  assert.deepEqual(JSON.parse(JSON.stringify(wins)), wins);
  const flat = computeMetrics({ equity: [100, 100], time: days(2), trades: [trade(0)], initialCapital: 100, timeframe: '1d', closes: [1, 1] });
  assert.equal(flat.profit_factor, 0);
});

test('empty and degenerate curves give finite zeros', () => {
  for (const equity of [[], [100], [0, 0, 0]]) {
    const m = computeMetrics({ equity, time: days(equity.length), trades: [], initialCapital: 100, timeframe: '1h', closes: equity.map(() => 1) });
    for (const [key, value] of Object.entries(m)) assert.ok(Number.isFinite(value), `${key} finite for [${equity.join()}]`);
    assert.equal(m.sharpe_ratio, 0);
    assert.equal(m.max_drawdown_duration_bars, 0);
  }
  // A wiped-out account: annualized return is −100 %, not NaN.
  const ruin = computeMetrics({ equity: [100, 50, 0], time: days(3), trades: [], initialCapital: 100, timeframe: '1d', closes: [1, 1, 1] });
  assert.equal(ruin.annualized_return, -1);
  assert.equal(ruin.max_drawdown_pct, 1);
});
