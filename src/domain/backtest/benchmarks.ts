import type { OhlcvSeries } from '../data/ohlcv.js';
import type { ResolvedBacktestConfig } from './backtest-config.js';
import { runBacktestEngine } from './engine.js';

/** The figures of one benchmark. Fractions, as in {@link BacktestMetrics}. */
export interface BenchmarkFigures {
  total_return_pct: number;
  annualized_return: number;
  sharpe_ratio: number;
  max_drawdown_pct: number;
  volatility: number;
  /** Commissions paid (currency). */
  total_fees: number;
}

/** Buy-and-hold benchmarks of a backtest window. */
export interface BacktestBenchmarks {
  /**
   * Buy at the first possible fill (bar startIndex + 1's open) with the strategy's sizing and
   * costs, hold to the last close (forced exit with costs). What the strategy's capital would
   * have done by just being in the market as much as one strategy position is.
   */
  buy_and_hold: BenchmarkFigures;
  /** The same with 100 % of the equity invested (same costs). */
  buy_and_hold_full: BenchmarkFigures;
}

/** The benchmark equity curves, per bar, for charts. */
export interface BenchmarkRun {
  figures: BacktestBenchmarks;
  /** Equity of {@link BacktestBenchmarks.buy_and_hold} per bar. */
  equity: Float64Array;
}

/**
 * Runs the buy-and-hold benchmarks through the engine itself, so they pay exactly the strategy's
 * costs: one BUY decided on bar `startIndex`, long-only, no filters.
 */
export function runBenchmarks(bars: OhlcvSeries, cfg: ResolvedBacktestConfig): BenchmarkRun {
  const n = bars.length;
  const probabilities = new Float32Array(3 * n).fill(0);
  for (let i = 0; i < n; i++) probabilities[3 * i + 1] = 1;
  if (cfg.startIndex < n - 1) {
    probabilities[3 * cfg.startIndex] = 1;
    probabilities[3 * cfg.startIndex + 1] = 0;
  }
  const base = { ...cfg, allowShort: false, confidenceThreshold: 0, minSignalSeparation: 0, minSignalSeparationMs: 0 };
  const sized = runBacktestEngine({ bars, probabilities, config: base });
  const full = runBacktestEngine({ bars, probabilities, config: { ...base, positionSizing: 'fraction', positionSize: 1 } });
  const figures = (m: typeof sized.metrics): BenchmarkFigures => ({
    total_return_pct: m.total_return_pct,
    annualized_return: m.annualized_return,
    sharpe_ratio: m.sharpe_ratio,
    max_drawdown_pct: m.max_drawdown_pct,
    volatility: m.volatility,
    total_fees: m.total_fees,
  });
  return { figures: { buy_and_hold: figures(sized.metrics), buy_and_hold_full: figures(full.metrics) }, equity: sized.equity };
}
