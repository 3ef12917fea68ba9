import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BacktestCancelledError } from '../../../src/domain/backtest/backtest-cancelled-error.js';
import { runBacktestEngine } from '../../../src/domain/backtest/engine.js';
import { computeMetrics } from '../../../src/domain/backtest/metrics.js';
import { InvalidBacktestInputError } from '../../../src/domain/backtest/invalid-backtest-input-error.js';
import type { BacktestProgress } from '../../../src/domain/backtest/backtest-result.js';
import { HOUR_MS, T0, probsOf, randomRun, seriesOf } from './backtest-fixtures.js';

function near(actual: number, expected: number, message?: string): void {
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${message ?? ''} expected ${expected}, got ${actual}`);
}
const iso = (ms: number) => new Date(ms).toISOString();

// Opens differ from the previous closes so "filled at the next open" is distinguishable.
//            open   high  low   close
const BARS = seriesOf([
  [100, 101, 99, 100.5], // 0
  [101, 106, 100, 105], // 1
  [105.5, 112, 104, 110], // 2
  [109, 111, 108, 109.5], // 3
  [109.5, 110, 108, 108], // 4
]);

test('one long trade: exact fills, commission on entry and exit, final cash', () => {
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('B.S..'), config: { allowShort: false } });
  // BUY on bar 0's close fills at bar 1's open with slippage; SELL on bar 2 closes at bar 3's open.
  const entryFill = 101 * 1.0005; // 101.0505
  const qty = (0.25 * 100_000) / entryFill; // 25 % of cash
  const entryComm = 25_000 * 0.001; // notional 25 000 → 25
  const cashAfterEntry = 100_000 - 25_000 - entryComm; // 74 975
  const exitFill = 109 * 0.9995; // 108.9455
  const exitComm = qty * exitFill * 0.001;
  const gross = qty * (exitFill - entryFill);
  const net = gross - (entryComm + exitComm);
  const finalCash = cashAfterEntry + qty * exitFill - exitComm;

  assert.equal(r.trades.length, 1);
  const t = r.trades[0]!;
  assert.equal(t.side, 'long');
  assert.equal(t.trade_id, 1);
  near(t.entry_price, entryFill, 'entry');
  near(t.exit_price, exitFill, 'exit');
  near(t.quantity, qty, 'qty');
  near(t.gross_pnl, gross, 'gross');
  near(t.commission, entryComm + exitComm, 'commission');
  near(t.net_pnl, net, 'net');
  near(r.finalCash, finalCash, 'final cash');
  near(r.finalCash, 100_000 + net, 'cash = capital + net');
  assert.equal(t.entry_time, iso(T0 + 1 * HOUR_MS));
  assert.equal(t.exit_time, iso(T0 + 3 * HOUR_MS));
  assert.equal(t.holding_period_hours, 2);
  // Held over bars 1 and 2: highest high 112, lowest low 100.
  near(t.mfe, (112 - entryFill) * qty, 'mfe');
  near(t.mae, (entryFill - 100) * qty, 'mae');
  // Equity marks the open long at each close.
  assert.equal(r.equity[0], 100_000);
  near(r.equity[1]!, cashAfterEntry + qty * 105, 'equity[1]');
  near(r.equity[2]!, cashAfterEntry + qty * 110, 'equity[2]');
  near(r.equity[3]!, finalCash, 'equity[3]');
  near(r.equity[4]!, finalCash, 'equity[4]');
  assert.equal(r.metrics.total_trades, 1);
  assert.equal(r.metrics.exposure_pct, 2 / 4); // bars 1, 2 of the 4 return periods
  near(r.metrics.total_fees, entryComm + exitComm, 'fees');
});

test('one short trade (allowShort, close on opposite: the BUY only closes)', () => {
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('S.B..'), config: { allowShort: true } });
  const entryFill = 101 * 0.9995; // a sell: 100.9495
  const qty = 25_000 / entryFill;
  const cashAfterEntry = 100_000 + 25_000 - 25; // short proceeds in, commission out: 124 975
  const exitFill = 109 * 1.0005; // buy back: 109.0545
  const exitComm = qty * exitFill * 0.001;
  const gross = qty * (entryFill - exitFill); // a loss: price rose
  const finalCash = cashAfterEntry - qty * exitFill - exitComm;

  assert.equal(r.trades.length, 1);
  const t = r.trades[0]!;
  assert.equal(t.side, 'short');
  near(t.gross_pnl, gross, 'gross');
  assert.ok(t.gross_pnl < 0);
  near(t.commission, 25 + exitComm, 'commission');
  near(t.net_pnl, gross - 25 - exitComm, 'net');
  near(r.finalCash, finalCash, 'final cash');
  near(r.equity[1]!, cashAfterEntry - qty * 105, 'equity marks the short');
  near(t.mfe, (entryFill - 100) * qty, 'mfe = entry − lowest low');
  near(t.mae, (112 - entryFill) * qty, 'mae = highest high − entry');
  assert.equal(r.equity[3], r.equity[4]); // flat after the close
});

test('an open position is closed at the last bar close with slippage and commission', () => {
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('..B..') });
  const entryFill = 109 * 1.0005; // bar 3 open
  const qty = 25_000 / entryFill;
  const exitFill = 108 * 0.9995; // bar 4 close
  const exitComm = qty * exitFill * 0.001;
  const finalCash = 100_000 - 25_000 - 25 + qty * exitFill - exitComm;
  assert.equal(r.trades.length, 1);
  const t = r.trades[0]!;
  near(t.exit_price, exitFill, 'exit');
  assert.equal(t.exit_time, iso(T0 + 5 * HOUR_MS)); // close time of bar 4
  assert.equal(t.holding_period_hours, 2);
  near(r.finalCash, finalCash, 'final cash');
  assert.equal(r.equity[4], r.finalCash);
  near(t.mfe, (111 - entryFill) * qty, 'mfe');
  near(t.mae, (entryFill - 108) * qty, 'mae');
});

test('a signal executes at the next bar open, never at its own close; none on the last bar', () => {
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('B....') });
  near(r.trades[0]!.entry_price, 101 * 1.0005, 'filled at open[1]');
  assert.notEqual(r.trades[0]!.entry_price, 100.5 * 1.0005);
  assert.equal(r.equity[0], 100_000); // nothing held at bar 0's close
  const last = runBacktestEngine({ bars: BARS, probabilities: probsOf('....B') });
  assert.equal(last.trades.length, 0);
  assert.deepEqual(Array.from(last.equity), [100_000, 100_000, 100_000, 100_000, 100_000]);
});

test('confidence threshold blocks a weak signal; NaN rows are no signal', () => {
  assert.equal(runBacktestEngine({ bars: BARS, probabilities: probsOf('w....') }).trades.length, 0);
  assert.equal(runBacktestEngine({ bars: BARS, probabilities: probsOf('nnnnn') }).trades.length, 0);
  const loose = runBacktestEngine({ bars: BARS, probabilities: probsOf('w....'), config: { confidenceThreshold: 0.4 } });
  assert.equal(loose.trades.length, 1);
});

test('minSignalSeparation ignores a signal too close to the last executed one', () => {
  const base = { allowShort: false };
  const free = runBacktestEngine({ bars: BARS, probabilities: probsOf('BSS..'), config: base });
  assert.equal(free.trades.length, 1);
  assert.equal(free.trades[0]!.exit_time, iso(T0 + 2 * HOUR_MS)); // SELL on bar 1 → bar 2 open
  const spaced = runBacktestEngine({ bars: BARS, probabilities: probsOf('BSS..'), config: { ...base, minSignalSeparation: 2 } });
  assert.equal(spaced.trades.length, 1);
  assert.equal(spaced.trades[0]!.exit_time, iso(T0 + 3 * HOUR_MS)); // SELL on bar 1 (1 − 0 < 2) ignored
});

test("onOppositeSignal 'reverse': SELL while long reverses into a short at the same open", () => {
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('B.S..'), config: { onOppositeSignal: 'reverse', allowShort: true } });
  assert.equal(r.trades.length, 2);
  const [long, short] = r.trades as [(typeof r.trades)[0], (typeof r.trades)[0]];
  const e1 = 101 * 1.0005;
  const q1 = 25_000 / e1;
  const x1 = 109 * 0.9995;
  const cash1 = 100_000 - 25_000 - 25 + q1 * x1 - q1 * x1 * 0.001; // after closing the long
  const e2 = 109 * 0.9995; // the short's entry is also a sell at bar 3's open
  const q2 = (0.25 * cash1) / e2;
  const x2 = 108 * 1.0005; // forced buy-back at bar 4's close
  const finalCash = cash1 + q2 * e2 - 0.25 * cash1 * 0.001 - q2 * x2 - q2 * x2 * 0.001;
  assert.equal(long.side, 'long');
  assert.equal(short.side, 'short');
  assert.equal(short.entry_time, long.exit_time);
  near(short.entry_price, e2, 'short entry');
  near(short.quantity, q2, 'short qty');
  near(short.gross_pnl, q2 * (e2 - x2), 'short gross');
  near(r.finalCash, finalCash, 'final cash');
  // With 'close' the same SELL only closes; a BUY while long is ignored either way.
  assert.equal(runBacktestEngine({ bars: BARS, probabilities: probsOf('B.S..'), config: { onOppositeSignal: 'close', allowShort: true } }).trades.length, 1);
  const twice = runBacktestEngine({ bars: BARS, probabilities: probsOf('BB...') });
  assert.equal(twice.trades.length, 1);
  assert.equal(twice.trades[0]!.entry_time, iso(T0 + HOUR_MS));
});

test('all HOLD: no trade, flat equity, every metric a finite zero', () => {
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('.....') });
  assert.equal(r.trades.length, 0);
  assert.deepEqual(Array.from(r.equity), [100_000, 100_000, 100_000, 100_000, 100_000]);
  for (const [key, value] of Object.entries(r.metrics)) {
    assert.ok(Number.isFinite(value), `${key} finite`);
    if (key !== 'buy_and_hold_return_pct') assert.equal(value, 0, `${key} is 0`);
  }
  near(r.metrics.buy_and_hold_return_pct, 108 / 100.5 - 1, 'buy and hold');
  assert.deepEqual(JSON.parse(JSON.stringify(r.metrics)), r.metrics);
});

test('startIndex: earlier signals are ignored and metrics start there', () => {
  const r = runBacktestEngine({ bars: BARS, probabilities: probsOf('B.B..'), config: { startIndex: 2 } });
  assert.equal(r.trades.length, 1);
  assert.equal(r.trades[0]!.entry_time, iso(T0 + 3 * HOUR_MS));
  assert.deepEqual(Array.from(r.equity.subarray(0, 3)), [100_000, 100_000, 100_000]);
  near(r.metrics.buy_and_hold_return_pct, 108 / 110 - 1, 'buy and hold from bar 2');
  assert.equal(r.metrics.exposure_pct, 1); // held over both return periods (bars 3, 4)
});

test('rejects mismatched inputs and bad config', () => {
  assert.throws(() => runBacktestEngine({ bars: BARS, probabilities: new Float32Array(14) }), InvalidBacktestInputError);
  assert.throws(() => runBacktestEngine({ bars: BARS, probabilities: probsOf('.....'), config: { startIndex: 5 } }), InvalidBacktestInputError);
  assert.throws(() => runBacktestEngine({ bars: BARS, probabilities: probsOf('.....'), config: { positionSize: 0 } }), InvalidBacktestInputError);
  assert.throws(() => runBacktestEngine({ bars: BARS, probabilities: probsOf('.....'), config: { timeframe: '0h' } }), InvalidBacktestInputError);
});

test('random run keeps the accounting identities', () => {
  const { bars, probabilities } = randomRun(5_000, 7);
  const r = runBacktestEngine({ bars, probabilities, config: { confidenceThreshold: 0.45 } });
  assert.ok(r.trades.length > 20, `only ${r.trades.length} trades`);
  const netSum = r.trades.reduce((s, t) => s + t.net_pnl, 0);
  near(r.finalCash, 100_000 + netSum, 'cash = capital + Σ net');
  assert.equal(r.equity[bars.length - 1], r.finalCash);
  near(r.metrics.total_fees, r.trades.reduce((s, t) => s + t.commission, 0), 'fees');
  r.trades.forEach((t, k) => {
    assert.equal(t.trade_id, k + 1);
    near(t.net_pnl, t.gross_pnl - t.commission, 'net = gross − commission');
    assert.ok(t.exit_time > t.entry_time);
    assert.ok(t.mfe >= 0 && t.mae >= 0);
    if (k > 0) assert.ok(t.entry_time >= r.trades[k - 1]!.exit_time, 'trades do not overlap');
  });
  for (const v of Object.values(r.metrics)) assert.ok(Number.isFinite(v));
  // Exposure counted in the loop agrees with exposure derived from the trade times alone.
  const fromTrades = computeMetrics({ equity: r.equity, time: r.time, trades: r.trades, initialCapital: 100_000, timeframe: '1h', closes: bars.close });
  assert.ok(r.metrics.exposure_pct > 0.3);
  near(fromTrades.exposure_pct, r.metrics.exposure_pct, 'exposure');
});

test('isCancelled → BacktestCancelledError', () => {
  const { bars, probabilities } = randomRun(5_000, 3);
  let calls = 0;
  assert.throws(
    () => runBacktestEngine({ bars, probabilities, isCancelled: () => ++calls >= 3 }),
    (err: unknown) => {
      assert.ok(err instanceof BacktestCancelledError);
      assert.equal(err.code, 'BACKTEST_CANCELLED');
      assert.ok(err.barsDone > 0 && err.barsDone < 5_000, `barsDone ${err.barsDone}`);
      return true;
    },
  );
  assert.throws(() => runBacktestEngine({ bars, probabilities, isCancelled: () => true }), (err: unknown) => err instanceof BacktestCancelledError && err.barsDone === 0);
});

test('progress is reported at least every 1 % and at the end', () => {
  const { bars, probabilities } = randomRun(20_000, 11);
  const seen: BacktestProgress[] = [];
  const r = runBacktestEngine({ bars, probabilities, onProgress: (p) => seen.push(p) });
  assert.ok(seen.length >= 100, `${seen.length} calls`);
  let prev = 0;
  for (const p of seen) {
    assert.ok(p.barsDone > prev && p.barsDone - prev <= 200, `gap ${p.barsDone - prev}`);
    prev = p.barsDone;
  }
  const lastReport = seen[seen.length - 1]!;
  assert.equal(lastReport.barsDone, 20_000);
  assert.equal(lastReport.barsTotal, 20_000);
  assert.equal(lastReport.trades, r.trades.length);
  near(lastReport.pnl, r.finalCash - 100_000, 'final pnl');
});
