// Hand-computed tests of the position semantics: long-only, close vs reverse, the margin rule
// (liquidation), separation in hours, fixed units, per-fill fees and absolute (pip) slippage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainNoTrades } from '../../../src/domain/backtest/backtest-diagnostics.js';
import { runBenchmarks } from '../../../src/domain/backtest/benchmarks.js';
import { runBacktestEngine } from '../../../src/domain/backtest/engine.js';
import { resolveBacktestConfig } from '../../../src/domain/backtest/backtest-config.js';
import { InvalidBacktestInputError } from '../../../src/domain/backtest/invalid-backtest-input-error.js';
import { HOUR_MS, T0, probsOf, randomRun, seriesOf } from './backtest-fixtures.js';

function near(actual: number, expected: number, message?: string): void {
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${message ?? ''} expected ${expected}, got ${actual}`);
}
const iso = (ms: number) => new Date(ms).toISOString();
const NO_COSTS = { commission: 0, slippage: 0 };

//            open   high  low   close
const BARS = seriesOf([
  [100, 101, 99, 100.5], // 0
  [101, 106, 100, 105], // 1
  [105.5, 112, 104, 110], // 2
  [109, 111, 108, 109.5], // 3
  [109.5, 110, 108, 108], // 4
  [108, 109, 107, 107.5], // 5
]);

test('defaults are long-only and close on an opposite signal', () => {
  const cfg = resolveBacktestConfig({}, '1h');
  assert.equal(cfg.allowShort, false);
  assert.equal(cfg.onOppositeSignal, 'close');
  // SELL while flat opens nothing; the BUY then opens a long that the end of data closes.
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('S.B...'), config: NO_COSTS });
  assert.equal(r.trades.length, 1);
  assert.equal(r.trades[0]!.side, 'long');
  assert.equal(r.trades[0]!.entry_time, iso(T0 + 3 * HOUR_MS));
  assert.equal(r.trades[0]!.exit_reason, 'end_of_data');
  assert.equal(r.diagnostics.short_not_allowed, 1);
  assert.equal(r.diagnostics.executed, 1);
  // B.S.B.: the SELL only closes the long (no short), the second BUY opens a new long.
  const r2 = runBacktestEngine({ bars: BARS, probabilities: probsOf('B.S.B.'), config: NO_COSTS });
  assert.deepEqual(r2.trades.map((t) => [t.side, t.entry_price, t.exit_price, t.exit_reason]), [
    ['long', 101, 109, 'signal'],
    ['long', 108, 107.5, 'end_of_data'],
  ]);
});

test("'reverse' without allow_short degrades to close; with it the SELL opens a short at the same open", () => {
  const closeOnly = runBacktestEngine({ bars: BARS, probabilities: probsOf('B.S...'), config: { ...NO_COSTS, onOppositeSignal: 'reverse' } });
  assert.equal(closeOnly.trades.length, 1);
  const rev = runBacktestEngine({ bars: BARS, probabilities: probsOf('B.S...'), config: { ...NO_COSTS, onOppositeSignal: 'reverse', allowShort: true } });
  assert.deepEqual(rev.trades.map((t) => [t.side, t.entry_price, t.exit_price]), [
    ['long', 101, 109],
    ['short', 109, 107.5],
  ]);
  // Long: 25 000 / 101 units, +8 each; short: 25 % of the cash after it, +1.5 per unit.
  const q1 = 25_000 / 101;
  const cash1 = 100_000 + q1 * 8;
  const q2 = (0.25 * cash1) / 109;
  near(rev.finalCash, cash1 + q2 * 1.5, 'final cash');
});

test('allow_short false never holds a short, whatever the signals', () => {
  const { bars, probabilities } = randomRun(3_000, 5);
  for (const onOppositeSignal of ['close', 'reverse'] as const) {
    const r = runBacktestEngine({ bars, probabilities, config: { confidenceThreshold: 0.4, onOppositeSignal } });
    assert.ok(r.trades.length > 20);
    assert.ok(r.trades.every((t) => t.side === 'long'), onOppositeSignal);
    assert.ok(r.diagnostics.short_not_allowed > 0);
  }
});

// A short of 100 % of equity into a rally: entry 100, 1 000 units, cash 200 000. Liquidation when
// cash − 1 000 × P = 0.25 × 1 000 × P → P = 200 000 / 1 250 = 160.
const RALLY = (bar2Open: number) => seriesOf([
  [100, 100, 100, 100],
  [100, 120, 99, 110],
  [bar2Open, Math.max(bar2Open, 170), 140, 165],
  [165, 166, 100, 101],
  [101, 102, 99, 100],
]);
const SHORT_ALL = { ...NO_COSTS, allowShort: true, positionSize: 1 };

test('margin rule: a short is liquidated at the liquidation price and the run stops opening positions', () => {
  const r = runBacktestEngine({ bars: RALLY(150), probabilities: probsOf('S..B.'), config: SHORT_ALL });
  assert.equal(r.trades.length, 1);
  const t = r.trades[0]!;
  assert.equal(t.exit_reason, 'liquidation');
  assert.equal(t.exit_time, iso(T0 + 2 * HOUR_MS));
  near(t.exit_price, 160, 'liquidation price');
  near(t.net_pnl, -60_000, 'loss');
  near(r.finalCash, 40_000, 'cash = 25 % of the position value at 160');
  assert.deepEqual(Array.from(r.equity.slice(2)), [40_000, 40_000, 40_000]);
  assert.equal(r.diagnostics.liquidations, 1);
  assert.equal(r.diagnostics.no_capital, 1, 'the BUY after the liquidation opens nothing');
  near(r.metrics.max_drawdown_pct, 0.6, 'peak 100 000 (bar 0) → 40 000');
});

test('margin rule: a gap through the liquidation price fills at the open and equity floors at 0', () => {
  const r = runBacktestEngine({ bars: RALLY(210), probabilities: probsOf('S..B.'), config: SHORT_ALL });
  const t = r.trades[0]!;
  assert.equal(t.exit_reason, 'liquidation');
  near(t.exit_price, 210, 'filled at the gapped open');
  assert.equal(r.finalCash, 0);
  assert.ok(Array.from(r.equity).every((e) => e >= 0));
  assert.equal(r.metrics.max_drawdown_pct, 1);
  assert.equal(r.metrics.total_return_pct, -1);
});

test('margin rule with costs: equity net of exit costs equals margin × value at the liquidation price', () => {
  const cfg = { allowShort: true, positionSize: 0.5, commission: 0.001, slippage: 0.0005, feePerTrade: 2, slippagePrice: 0.01 };
  const r = runBacktestEngine({ bars: RALLY(150), probabilities: probsOf('S....'), config: { ...cfg, positionSize: 1 } });
  const t = r.trades[0]!;
  assert.equal(t.exit_reason, 'liquidation');
  // Reference price P solves cash − q·(P(1+s)+a)(1+c) − fee = 0.25·q·P, so after the exit the cash equals 0.25·q·P.
  const P = (t.exit_price - 0.01) / 1.0005;
  near(r.finalCash, 0.25 * t.quantity * P, 'cash after liquidation');
});

test('min_signal_separation as a duration counts hours from the last fill to the decision bar close', () => {
  // BUY on bar 0 fills at bar 1's open (T0+1h). SELLs decided on bars 1 and 2 close at T0+2h and T0+3h:
  // 1 h and 2 h after the fill, < 3 h, dropped. The SELL on bar 3 (close T0+4h, 3 h) executes at bar 4's open.
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('BSSS..'), config: { ...NO_COSTS, minSignalSeparationMs: 3 * HOUR_MS } });
  assert.equal(r.trades.length, 1);
  assert.equal(r.trades[0]!.exit_time, iso(T0 + 4 * HOUR_MS));
  assert.equal(r.diagnostics.by_separation, 2);
  const bars2 = runBacktestEngine({ bars: BARS, probabilities: probsOf('BSSS..'), config: { ...NO_COSTS, minSignalSeparation: 3 } });
  assert.equal(bars2.trades[0]!.exit_time, iso(T0 + 4 * HOUR_MS), '3 bars after the BUY decided on bar 0');
});

test('fixed units, per-fill fee and absolute slippage', () => {
  const r = runBacktestEngine({
    bars: BARS,
    probabilities: probsOf('B.S...'),
    config: { commission: 0.001, slippage: 0, slippagePrice: 0.5, feePerTrade: 3, positionSizing: 'units', positionSize: 10 },
  });
  const t = r.trades[0]!;
  near(t.entry_price, 101.5, 'entry = open + 0.5');
  near(t.exit_price, 108.5, 'exit = open − 0.5');
  assert.equal(t.quantity, 10);
  near(t.commission, 10 * 101.5 * 0.001 + 3 + 10 * 108.5 * 0.001 + 3, 'commission');
  near(r.finalCash, 100_000 + 10 * 7 - t.commission, 'cash');
  // Units beyond the cash are cut to what the cash pays (no leverage).
  const big = runBacktestEngine({ bars: BARS, probabilities: probsOf('B.....'), config: { ...NO_COSTS, positionSizing: 'units', positionSize: 1e9 } });
  near(big.trades[0]!.quantity, 100_000 / 101, 'capped quantity');
});

test('diagnostics count every decision bar once and explain a run with no trades', () => {
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('ww.S..'), config: { confidenceThreshold: 0.6 } });
  const d = r.diagnostics;
  assert.equal(d.decision_bars, 5);
  assert.deepEqual([d.raw_buy, d.raw_hold, d.raw_sell], [2, 2, 1]);
  assert.equal(d.below_threshold, 2);
  assert.equal(d.short_not_allowed, 1);
  assert.equal(d.hold + d.below_threshold + d.already_in_position + d.short_not_allowed + d.no_capital + d.by_separation + d.executed, d.decision_bars);
  near(d.max_buy_probability, Math.fround(0.45), 'highest BUY');
  const reasons = explainNoTrades(d, 0.6, r.trades.length);
  assert.ok(reasons.some((s) => s.includes('below the confidence threshold 0.6') && s.includes('0.450')), reasons.join('; '));
  assert.ok(reasons.some((s) => s.includes('allow_short is false')));
  assert.deepEqual(explainNoTrades(d, 0.6, 1), []);
});

test('buy-and-hold benchmarks pay the strategy costs and sizing', () => {
  const cfg = resolveBacktestConfig({ startIndex: 0 }, '1h');
  const { figures } = runBenchmarks(BARS, cfg);
  const fill = 101 * 1.0005;
  const q = 25_000 / fill;
  const exit = 107.5 * 0.9995;
  const final = 100_000 - 25_000 - 25 + q * exit * (1 - 0.001);
  near(figures.buy_and_hold.total_return_pct, final / 100_000 - 1, 'sized');
  const qFull = 100_000 / (fill * 1.001); // cut so that notional + commission = cash
  near(figures.buy_and_hold_full.total_return_pct, (qFull * exit * (1 - 0.001)) / 100_000 - 1, 'full');
  assert.ok(figures.buy_and_hold_full.max_drawdown_pct > figures.buy_and_hold.max_drawdown_pct);
});

test('bad trading config is rejected with the field named', () => {
  const bad = (config: object, field: string) =>
    assert.throws(() => resolveBacktestConfig(config, '1h'), (e: unknown) => e instanceof InvalidBacktestInputError && e.message.includes(field));
  bad({ onOppositeSignal: 'flip' }, 'onOppositeSignal');
  bad({ positionSizing: 'units', positionSize: -1 }, 'positionSize');
  bad({ positionSize: 1.5 }, 'positionSize');
  bad({ maintenanceMargin: 0.95 }, 'maintenanceMargin');
  bad({ minSignalSeparationMs: -1 }, 'minSignalSeparationMs');
});
