import type { BacktestTrade } from './backtest-trade.js';
import type { ResolvedBacktestConfig } from './backtest-config.js';
import type { SignalDiagnostics } from './backtest-diagnostics.js';
import type { BacktestMetrics } from './metrics.js';

/** Progress report of the engine's bar loop. */
export interface BacktestProgress {
  /** Bars processed so far (counted from `startIndex`). */
  readonly barsDone: number;
  /** Bars the loop processes in all: `bars.length − startIndex`. */
  readonly barsTotal: number;
  /** Mark-to-market P&L so far: equity at the last processed bar's close − initial capital. */
  readonly pnl: number;
  /** Closed trades so far. */
  readonly trades: number;
}

/** Everything one engine run produces. Arrays are per bar of the input series. */
export interface BacktestResult {
  readonly symbol: string;
  readonly timeframe: string;
  /** The configuration actually used, defaults filled in. */
  readonly config: ResolvedBacktestConfig;
  /** Closed trades in exit order (an open position is force-closed at the last bar). */
  readonly trades: BacktestTrade[];
  /**
   * Equity at each bar's close: cash + mark-to-market of the open position at that close
   * (long: `+quantity × close`, short: `−quantity × close`). Bars before `startIndex` hold the
   * initial capital. The last bar is valued after the forced exit, so it equals {@link finalCash}.
   */
  readonly equity: Float64Array;
  /** Bar open times (epoch ms) labelling {@link equity}; the series' own array, not a copy. */
  readonly time: Float64Array;
  /** Cash after every position is closed. */
  readonly finalCash: number;
  /** Performance metrics over bars `startIndex … last`. */
  readonly metrics: BacktestMetrics;
  /** Signal counts per filter, highest probabilities and liquidations. */
  readonly diagnostics: SignalDiagnostics;
}
