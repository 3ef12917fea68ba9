import type { BacktestTrade } from './backtest-trade.js';
import { barsPerYear } from './bars-per-year.js';

/**
 * Performance metrics of one backtest. Every value is a finite number (JSON-safe); a metric that
 * is undefined for the data (no trades, fewer than two returns, zero deviation, …) is 0.
 * Ratios and `_pct` fields are FRACTIONS (0.05 = 5 %), as in the original KTRDR.
 * Formulas: docs/backtest-engine.md.
 */
export interface BacktestMetrics {
  /** Final equity − initial capital (currency). */
  total_return: number;
  /** total_return / initial capital (fraction). */
  total_return_pct: number;
  /** `(1 + total_return_pct)^(1 / years) − 1`, years = calendar time of the window / 365.25 d. */
  annualized_return: number;
  /** Sample std of per-bar returns × √(bars per year). */
  volatility: number;
  /** mean(per-bar returns) / sample std × √(bars per year); risk-free rate 0. */
  sharpe_ratio: number;
  /** mean(per-bar returns) / downside deviation × √(bars per year); target 0. */
  sortino_ratio: number;
  /** Largest peak-to-trough equity fall (currency, ≥ 0). */
  max_drawdown: number;
  /** Largest peak-to-trough fall relative to its peak (fraction, ≥ 0). */
  max_drawdown_pct: number;
  /** annualized_return / max_drawdown_pct; 0 when there was no drawdown. */
  calmar_ratio: number;
  total_trades: number;
  /** Trades with net_pnl > 0. */
  winning_trades: number;
  /** Trades with net_pnl < 0 (break-even trades count as neither). */
  losing_trades: number;
  /** winning_trades / total_trades (fraction). */
  win_rate: number;
  /** Sum of winning net P&L / |sum of losing net P&L|, capped at {@link PROFIT_FACTOR_CAP}. */
  profit_factor: number;
  /** Mean net P&L of winning trades (≥ 0). */
  avg_win: number;
  /** Mean net P&L of losing trades (≤ 0). */
  avg_loss: number;
  /** Best net P&L among winning trades (≥ 0). */
  largest_win: number;
  /** Worst net P&L among losing trades (≤ 0). */
  largest_loss: number;
  /** Mean holding period in hours. */
  avg_holding_period: number;
  /** Fraction of the window's return periods (bars after the start bar) with an open position. */
  exposure_pct: number;
  /** Mean net P&L per trade (currency). */
  expectancy: number;
  /** Longest peak-to-recovery (or peak-to-end) stretch, in bars. */
  max_drawdown_duration_bars: number;
  /** Longest peak-to-recovery (or peak-to-end) stretch, in hours of bar time. */
  max_drawdown_duration_hours: number;
  /** Sum of all commissions paid (currency; slippage is inside the fill prices, not here). */
  total_fees: number;
  /** close[last] / close[startIndex] − 1 (fraction; no costs). */
  buy_and_hold_return_pct: number;
}

/** The part of a trade the metrics read. */
export type MetricsTrade = Pick<
  BacktestTrade,
  'net_pnl' | 'commission' | 'holding_period_hours' | 'entry_time' | 'exit_time'
>;

/** Inputs of {@link computeMetrics}. Arrays are per bar and at least `equity.length` long. */
export interface ComputeMetricsParams {
  /** Equity at each bar's close. */
  readonly equity: ArrayLike<number>;
  /** Bar open times (epoch ms), strictly increasing. */
  readonly time: ArrayLike<number>;
  readonly trades: readonly MetricsTrade[];
  /** Capital at the start of the window; the base of total_return_pct. */
  readonly initialCapital: number;
  /** Bar timeframe, for annualisation (see {@link barsPerYear}). */
  readonly timeframe: string;
  /** Close prices, for the buy-and-hold benchmark. */
  readonly closes: ArrayLike<number>;
  /** First bar of the window; earlier bars are ignored. @defaultValue 0 */
  readonly startIndex?: number;
  /**
   * Bars of the window during which a position was open, when the caller counted them (the
   * engine does). @defaultValue derived from the trades' entry and exit times
   */
  readonly heldBars?: number;
}

/** profit_factor when there are winning trades and no losing trade (and the overall cap). */
export const PROFIT_FACTOR_CAP = 999_999;

/** A per-bar return deviation below this is float noise and is treated as zero. */
const MIN_DEVIATION = 1e-12;
const HOUR_MS = 3_600_000;
const YEAR_MS = 365.25 * 86_400_000;

/** NaN → 0 and ±Infinity → ±Number.MAX_VALUE, so every metric survives JSON.stringify. */
function finite(x: number): number {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 0;
  return x > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/** Per-bar simple return; 0 when the previous equity is not positive (return undefined). */
function barReturn(equity: ArrayLike<number>, i: number): number {
  const prev = equity[i - 1] as number;
  return prev > 0 ? (equity[i] as number) / prev - 1 : 0;
}

/** First index in [lo, hi) with `time[index] >= value`; hi when none. */
function lowerBound(time: ArrayLike<number>, value: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((time[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Computes {@link BacktestMetrics} over bars `startIndex … equity.length − 1` of an equity curve.
 * Pure and independent of the engine: any equity curve and trade list can be scored.
 */
export function computeMetrics(params: ComputeMetricsParams): BacktestMetrics {
  const { equity, time, trades, initialCapital, closes } = params;
  const n = equity.length;
  const start = params.startIndex ?? 0;
  const last = n - 1;
  const periods = Math.max(0, last - start); // number of per-bar returns in the window
  const perYear = barsPerYear(params.timeframe);

  // Returns
  const finalEquity = n > start ? (equity[last] as number) : initialCapital;
  const totalReturn = finalEquity - initialCapital;
  const totalReturnPct = totalReturn / initialCapital;
  const years = periods > 0 ? ((time[last] as number) - (time[start] as number)) / YEAR_MS : 0;
  let annualized = 0;
  if (years > 0) annualized = 1 + totalReturnPct <= 0 ? -1 : Math.pow(1 + totalReturnPct, 1 / years) - 1;

  // Risk: two passes over the per-bar returns (mean, then deviations).
  let sum = 0;
  for (let i = start + 1; i <= last; i++) sum += barReturn(equity, i);
  const mean = periods > 0 ? sum / periods : 0;
  let sq = 0;
  let downSq = 0;
  for (let i = start + 1; i <= last; i++) {
    const r = barReturn(equity, i);
    sq += (r - mean) * (r - mean);
    if (r < 0) downSq += r * r;
  }
  const std = periods > 1 ? Math.sqrt(sq / (periods - 1)) : 0;
  const downside = periods > 1 ? Math.sqrt(downSq / periods) : 0;
  const annFactor = Math.sqrt(perYear);
  const volatility = std > MIN_DEVIATION ? std * annFactor : 0;
  const sharpe = std > MIN_DEVIATION ? (mean / std) * annFactor : 0;
  const sortino = downside > MIN_DEVIATION ? (mean / downside) * annFactor : 0;

  // Drawdowns: depth (currency and fraction) and the longest peak-to-recovery stretch.
  let maxDd = 0;
  let maxDdPct = 0;
  let maxDurBars = 0;
  let maxDurMs = 0;
  if (n > start) {
    let peak = equity[start] as number;
    let peakIdx = start;
    let isUnderwater = false;
    for (let i = start + 1; i <= last; i++) {
      const e = equity[i] as number;
      if (e >= peak) {
        // Recovered (or a new high): close the underwater stretch that began at peakIdx.
        if (isUnderwater) {
          maxDurBars = Math.max(maxDurBars, i - peakIdx);
          maxDurMs = Math.max(maxDurMs, (time[i] as number) - (time[peakIdx] as number));
          isUnderwater = false;
        }
        peak = e;
        peakIdx = i;
      } else {
        isUnderwater = true;
        const dd = peak - e;
        if (dd > maxDd) maxDd = dd;
        if (peak > 0 && dd / peak > maxDdPct) maxDdPct = dd / peak;
      }
    }
    if (isUnderwater) {
      maxDurBars = Math.max(maxDurBars, last - peakIdx);
      maxDurMs = Math.max(maxDurMs, (time[last] as number) - (time[peakIdx] as number));
    }
  }

  // Trades
  let wins = 0;
  let losses = 0;
  let grossWin = 0;
  let grossLoss = 0;
  let largestWin = 0;
  let largestLoss = 0;
  let fees = 0;
  let netSum = 0;
  let holdSum = 0;
  const countHeld = params.heldBars === undefined && periods > 0;
  let heldBars = params.heldBars ?? 0;
  for (const t of trades) {
    const pnl = t.net_pnl;
    netSum += pnl;
    fees += t.commission;
    holdSum += t.holding_period_hours;
    if (pnl > 0) {
      wins++;
      grossWin += pnl;
      if (pnl > largestWin) largestWin = pnl;
    } else if (pnl < 0) {
      losses++;
      grossLoss -= pnl;
      if (pnl < largestLoss) largestLoss = pnl;
    }
    // Bars held = bars whose open time lies in [entry, exit): an exit at a bar's open does not
    // hold that bar; the forced exit at the last bar's close holds the last bar.
    if (countHeld) {
      const from = lowerBound(time, Date.parse(t.entry_time), start + 1, n);
      const to = lowerBound(time, Date.parse(t.exit_time), start + 1, n);
      if (to > from) heldBars += to - from;
    }
  }
  const total = trades.length;
  let profitFactor = 0;
  if (grossLoss > 0) profitFactor = Math.min(PROFIT_FACTOR_CAP, grossWin / grossLoss);
  else if (grossWin > 0) profitFactor = PROFIT_FACTOR_CAP;

  const firstClose = n > start ? (closes[start] as number) : 0;
  const buyHold = firstClose > 0 ? (closes[last] as number) / firstClose - 1 : 0;

  return {
    total_return: finite(totalReturn),
    total_return_pct: finite(totalReturnPct),
    annualized_return: finite(annualized),
    volatility: finite(volatility),
    sharpe_ratio: finite(sharpe),
    sortino_ratio: finite(sortino),
    max_drawdown: finite(maxDd),
    max_drawdown_pct: finite(maxDdPct),
    calmar_ratio: maxDdPct > 0 ? finite(annualized / maxDdPct) : 0,
    total_trades: total,
    winning_trades: wins,
    losing_trades: losses,
    win_rate: total > 0 ? wins / total : 0,
    profit_factor: finite(profitFactor),
    avg_win: wins > 0 ? finite(grossWin / wins) : 0,
    avg_loss: losses > 0 ? finite(-grossLoss / losses) : 0,
    largest_win: finite(largestWin),
    largest_loss: finite(largestLoss),
    avg_holding_period: total > 0 ? finite(holdSum / total) : 0,
    exposure_pct: periods > 0 ? Math.min(1, heldBars / periods) : 0,
    expectancy: total > 0 ? finite(netSum / total) : 0,
    max_drawdown_duration_bars: maxDurBars,
    max_drawdown_duration_hours: finite(maxDurMs / HOUR_MS),
    total_fees: finite(fees),
    buy_and_hold_return_pct: finite(buyHold),
  };
}
