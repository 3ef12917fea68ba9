import type { BacktestResult } from './backtest-result.js';
import type { BacktestTrade } from './backtest-trade.js';
import { InvalidBacktestInputError } from './invalid-backtest-input-error.js';
import type { BacktestMetrics } from './metrics.js';

/** One point of a summarised equity curve. */
export interface EquityPoint {
  /** ISO-8601 UTC open time of the bar; the equity is the value at that bar's close. */
  readonly time: string;
  readonly equity: number;
  /** (running peak − equity) / running peak at full resolution: a fraction ≥ 0, 0 at a new high. */
  readonly drawdown_pct: number;
}

/** A JSON-sized view of a {@link BacktestResult}. */
export interface BacktestSummary {
  readonly metrics: BacktestMetrics;
  /** Number of trades in the full result (the `trades` list may hold fewer). */
  readonly trade_count: number;
  /** The equity curve from `startIndex` on, downsampled by {@link downsampleEquity}. */
  readonly equity_curve: EquityPoint[];
  /** Every trade when there are at most 2 × tradesHeadTail; otherwise the first and last tradesHeadTail. */
  readonly trades: BacktestTrade[];
}

/** Options of {@link summarizeBacktest}. */
export interface SummarizeBacktestOptions {
  /** Most points in `equity_curve`; at least 2. @defaultValue 2000 */
  maxEquityPoints?: number;
  /** Trades kept from each end of the trade list. @defaultValue 50 */
  tradesHeadTail?: number;
}

/** Range of {@link downsampleEquity}. */
export interface DownsampleRange {
  /** First index. @defaultValue 0 */
  start?: number;
  /** One past the last index. @defaultValue equity.length */
  end?: number;
}

const summaryDefaults: Required<SummarizeBacktestOptions> = { maxEquityPoints: 2000, tradesHeadTail: 50 };

/** Drawdown fraction per bar from `start`, against the running peak from `start`; 0 before it. */
export function drawdownSeries(equity: ArrayLike<number>, start = 0): Float64Array {
  const n = equity.length;
  const dd = new Float64Array(n);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = start; i < n; i++) {
    const e = equity[i] as number;
    if (e > peak) peak = e;
    dd[i] = peak > 0 ? (peak - e) / peak : 0;
  }
  return dd;
}

/**
 * Picks at most `maxPoints` indices of `equity[start, end)` for a chart, in increasing order.
 * All indices when they fit; otherwise the first and the last, and in each of
 * `floor((maxPoints − 2) / 3)` equal buckets of the interior the lowest equity, the highest
 * equity and the deepest drawdown (measured at full resolution), so the peaks and troughs a
 * naive stride would skip stay on the chart and the maximum drawdown's trough is always kept.
 *
 * @throws {@link InvalidBacktestInputError} when `maxPoints < 2`
 */
export function downsampleEquity(equity: ArrayLike<number>, maxPoints: number, range: DownsampleRange = {}): number[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new InvalidBacktestInputError('maxPoints', 'must be an integer ≥ 2');
  }
  const start = Math.max(0, range.start ?? 0);
  const end = Math.min(equity.length, range.end ?? equity.length);
  const count = end - start;
  if (count <= 0) return [];
  if (count <= maxPoints) return Array.from({ length: count }, (_, k) => start + k);

  const dd = drawdownSeries(equity, start);
  const out: number[] = [start];
  const first = start + 1; // interior is [first, end - 1)
  const interior = end - 1 - first;
  const buckets = Math.min(interior, Math.floor((maxPoints - 2) / 3));
  for (let b = 0; b < buckets; b++) {
    const lo = first + Math.floor((b * interior) / buckets);
    const hi = first + Math.floor(((b + 1) * interior) / buckets);
    let minI = lo;
    let maxI = lo;
    let ddI = lo;
    for (let i = lo + 1; i < hi; i++) {
      const e = equity[i] as number;
      if (e < (equity[minI] as number)) minI = i;
      if (e > (equity[maxI] as number)) maxI = i;
      if ((dd[i] as number) > (dd[ddI] as number)) ddI = i;
    }
    const picked = [minI, maxI, ddI].sort((a, c) => a - c);
    for (let k = 0; k < picked.length; k++) {
      const idx = picked[k] as number;
      if (idx !== out[out.length - 1]) out.push(idx);
    }
  }
  out.push(end - 1);
  return out;
}

/**
 * Shrinks a backtest result to what an API response or a stored report needs: the metrics, a
 * downsampled equity curve with drawdowns, and the first and last trades.
 */
export function summarizeBacktest(result: BacktestResult, options: SummarizeBacktestOptions = {}): BacktestSummary {
  const opts = { ...summaryDefaults, ...options };
  const start = Math.min(result.config.startIndex, result.equity.length);
  const dd = drawdownSeries(result.equity, start);
  const equity_curve = downsampleEquity(result.equity, opts.maxEquityPoints, { start }).map((i) => ({
    time: new Date(result.time[i] as number).toISOString(),
    equity: result.equity[i] as number,
    drawdown_pct: dd[i] as number,
  }));
  const k = Math.max(0, Math.floor(opts.tradesHeadTail));
  const all = result.trades;
  const trades = all.length <= 2 * k ? all.slice() : [...all.slice(0, k), ...all.slice(all.length - k)];
  return { metrics: result.metrics, trade_count: all.length, equity_curve, trades };
}
