// Re-derives every fill and metric of a long-only backtest on REAL data (S&P 500 daily,
// 2000-2020, data/real/SP500_1d.csv from the vega-datasets npm package) with an independent,
// deliberately plain implementation of the conventions in docs/backtest-engine.md.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBenchmarks } from '../../../src/domain/backtest/benchmarks.js';
import { runBacktestEngine } from '../../../src/domain/backtest/engine.js';
import { loadOhlcv } from '../../../src/domain/data/ohlcv-loader.js';
import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';
import { repoRoot } from '../../helpers/paths.js';

const bars = loadOhlcv({ dataDir: join(repoRoot, 'data', 'real'), symbol: 'SP500', timeframe: '1d' });

interface RefTrade { entryTime: number; exitTime: number; entry: number; exit: number; qty: number; fees: number; net: number }
interface RefParams { capital: number; commission: number; slippage: number; fee: number; fraction: number; separation: number; start: number }

/** Long-only, close-on-opposite, next-open fills: the textbook loop, one bar at a time. */
function referenceBacktest(s: OhlcvSeries, signals: string[], p: RefParams) {
  const n = s.length;
  let cash = p.capital;
  let pos: { qty: number; entry: number; entryTime: number; entryFee: number } | null = null;
  let pending: 'enter' | 'exit' | null = null;
  let lastExecuted = -Infinity;
  let heldBars = 0;
  const equity: number[] = [];
  const trades: RefTrade[] = [];
  const exitAt = (price: number, time: number) => {
    const fill = price * (1 - p.slippage);
    const fee = pos!.qty * fill * p.commission + p.fee;
    cash += pos!.qty * fill - fee;
    const fees = pos!.entryFee + fee;
    trades.push({ entryTime: pos!.entryTime, exitTime: time, entry: pos!.entry, exit: fill, qty: pos!.qty, fees, net: pos!.qty * (fill - pos!.entry) - fees });
    pos = null;
  };
  for (let i = 0; i < n; i++) {
    if (i < p.start) {
      equity.push(p.capital);
      continue;
    }
    const open = s.open[i]!;
    if (pending === 'exit') exitAt(open, s.time[i]!);
    if (pending === 'enter') {
      const fill = open * (1 + p.slippage);
      let qty = (p.fraction * cash) / fill;
      if (qty * fill * (1 + p.commission) + p.fee > cash) qty = (cash - p.fee) / (fill * (1 + p.commission));
      const fee = qty * fill * p.commission + p.fee;
      cash -= qty * fill + fee;
      pos = { qty, entry: fill, entryTime: s.time[i]!, entryFee: fee };
    }
    pending = null;
    if (pos) {
      heldBars++;
      if (i === n - 1) exitAt(s.close[i]!, s.time[i]! + 86_400_000);
    }
    equity.push(cash + (pos ? pos.qty * s.close[i]! : 0));
    if (i < n - 1 && i - lastExecuted >= p.separation) {
      if (signals[i] === 'B' && !pos) [pending, lastExecuted] = ['enter', i];
      else if (signals[i] === 'S' && pos) [pending, lastExecuted] = ['exit', i];
    }
  }
  return { equity, trades, cash, heldBars };
}

/** Metrics as docs/backtest-engine.md defines them, from an equity curve and trades. */
function referenceMetrics(s: OhlcvSeries, equity: number[], trades: RefTrade[], capital: number, start: number, heldBars: number) {
  const last = equity.length - 1;
  const returns: number[] = [];
  for (let i = start + 1; i <= last; i++) returns.push(equity[i]! / equity[i - 1]! - 1);
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1));
  const downside = Math.sqrt(returns.reduce((a, r) => a + (r < 0 ? r * r : 0), 0) / returns.length);
  let peak = -Infinity;
  let maxDd = 0;
  for (let i = start; i <= last; i++) {
    peak = Math.max(peak, equity[i]!);
    maxDd = Math.max(maxDd, (peak - equity[i]!) / peak);
  }
  const total = equity[last]! / capital - 1;
  const years = (s.time[last]! - s.time[start]!) / (365.25 * 86_400_000);
  const wins = trades.filter((t) => t.net > 0);
  const losses = trades.filter((t) => t.net < 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    total_return_pct: total,
    annualized_return: (1 + total) ** (1 / years) - 1,
    sharpe_ratio: (mean / std) * Math.sqrt(252),
    sortino_ratio: (mean / downside) * Math.sqrt(252),
    volatility: std * Math.sqrt(252),
    max_drawdown_pct: maxDd,
    total_trades: trades.length,
    win_rate: wins.length / trades.length,
    profit_factor: sum(wins.map((t) => t.net)) / -sum(losses.map((t) => t.net)),
    total_fees: sum(trades.map((t) => t.fees)),
    exposure_pct: heldBars / (last - start),
    avg_holding_period: sum(trades.map((t) => (t.exitTime - t.entryTime) / 3_600_000)) / trades.length,
  };
}

/** A 50-day SMA band: BUY above SMA × 1.01, SELL below SMA × 0.99. */
function smaBandSignals(s: OhlcvSeries): string[] {
  const out: string[] = [];
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    sum += s.close[i]!;
    if (i >= 50) sum -= s.close[i - 50]!;
    const sma = sum / 50;
    out.push(i < 49 ? '.' : s.close[i]! > sma * 1.01 ? 'B' : s.close[i]! < sma * 0.99 ? 'S' : '.');
  }
  return out;
}

function close(actual: number, expected: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: engine ${actual}, reference ${expected}`);
}

test('real S&P 500 data: the shipped copy is complete and clean', () => {
  assert.equal(bars.length, 5105);
  assert.equal(new Date(bars.time[0]!).toISOString(), '2000-01-03T00:00:00.000Z');
  assert.equal(new Date(bars.time[bars.length - 1]!).toISOString(), '2020-04-17T00:00:00.000Z');
});

for (const params of [
  { capital: 100_000, commission: 0.0001, slippage: 0.0002, fee: 1, fraction: 1, separation: 2, start: 49 },
  { capital: 10_000, commission: 0.001, slippage: 0.0005, fee: 0, fraction: 0.25, separation: 0, start: 1000 },
]) {
  test(`real S&P 500 data, long-only: engine = independent reference (size ${params.fraction}, separation ${params.separation})`, () => {
    const signals = smaBandSignals(bars);
    const probabilities = new Float32Array(3 * bars.length);
    signals.forEach((sig, i) => probabilities.set(sig === 'B' ? [0.7, 0.2, 0.1] : sig === 'S' ? [0.1, 0.2, 0.7] : [0.1, 0.8, 0.1], 3 * i));
    const r = runBacktestEngine({
      bars,
      probabilities,
      config: {
        initialCapital: params.capital, commission: params.commission, slippage: params.slippage, feePerTrade: params.fee,
        positionSize: params.fraction, minSignalSeparation: params.separation, startIndex: params.start,
      },
    });
    const ref = referenceBacktest(bars, signals, params);
    assert.ok(ref.trades.length > 20, `${ref.trades.length} trades`);
    assert.equal(r.trades.length, ref.trades.length);
    r.trades.forEach((t, k) => {
      const x = ref.trades[k]!;
      assert.equal(t.side, 'long');
      assert.equal(t.entry_time, new Date(x.entryTime).toISOString());
      assert.equal(t.exit_time, new Date(x.exitTime).toISOString());
      close(t.entry_price, x.entry, `trade ${k + 1} entry`);
      close(t.exit_price, x.exit, `trade ${k + 1} exit`);
      close(t.quantity, x.qty, `trade ${k + 1} qty`);
      close(t.commission, x.fees, `trade ${k + 1} fees`);
      close(t.net_pnl, x.net, `trade ${k + 1} net`);
    });
    ref.equity.forEach((e, i) => close(r.equity[i]!, e, `equity[${i}]`));
    close(r.finalCash, ref.cash, 'final cash');
    const m = referenceMetrics(bars, ref.equity, ref.trades, params.capital, params.start, ref.heldBars);
    for (const [key, value] of Object.entries(m)) close(r.metrics[key as keyof typeof m], value, key);
    assert.ok(r.metrics.max_drawdown_pct < 1 && Array.from(r.equity).every((e) => e > 0));

    // Buy and hold with the same costs and sizing = the reference with one BUY on the start bar.
    const bh = runBenchmarks(bars, r.config).figures.buy_and_hold;
    const one = signals.map((_, i) => (i === params.start ? 'B' : '.'));
    const refBh = referenceBacktest(bars, one, { ...params, separation: 0 });
    const mBh = referenceMetrics(bars, refBh.equity, refBh.trades, params.capital, params.start, refBh.heldBars);
    close(bh.total_return_pct, mBh.total_return_pct, 'buy & hold return');
    close(bh.sharpe_ratio, mBh.sharpe_ratio, 'buy & hold Sharpe');
    close(bh.max_drawdown_pct, mBh.max_drawdown_pct, 'buy & hold max drawdown');
  });
}
