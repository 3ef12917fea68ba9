import { downsampleIndices, drawdowns } from '../../contracts/downsample-series.js';
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
  /** The equity curve from `startIndex` on, downsampled by {@link downsampleIndices}. */
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

const summaryDefaults: Required<SummarizeBacktestOptions> = { maxEquityPoints: 2000, tradesHeadTail: 50 };

/**
 * Shrinks a backtest result to what an API response or a stored report needs: the metrics, a
 * downsampled equity curve with drawdowns, and the first and last trades.
 */
export function summarizeBacktest(result: BacktestResult, options: SummarizeBacktestOptions = {}): BacktestSummary {
  const opts = { ...summaryDefaults, ...options };
  if (!Number.isInteger(opts.maxEquityPoints) || opts.maxEquityPoints < 2) {
    throw new InvalidBacktestInputError('maxEquityPoints', 'must be an integer ≥ 2');
  }
  const start = Math.min(result.config.startIndex, result.equity.length);
  const dd = drawdowns(result.equity, start);
  const equity_curve = downsampleIndices(result.equity, opts.maxEquityPoints, { start }).map((i) => ({
    time: new Date(result.time[i] as number).toISOString(),
    equity: result.equity[i] as number,
    drawdown_pct: dd[i] as number,
  }));
  const k = Math.max(0, Math.floor(opts.tradesHeadTail));
  const all = result.trades;
  const trades = all.length <= 2 * k ? all.slice() : [...all.slice(0, k), ...all.slice(all.length - k)];
  return { metrics: result.metrics, trade_count: all.length, equity_curve, trades };
}
