import type { OhlcvSeries } from '../data/ohlcv.js';
import { timeframeToMs } from '../data/timeframe.js';
import { BacktestCancelledError } from './backtest-cancelled-error.js';
import { resolveBacktestConfig, type BacktestConfig } from './backtest-config.js';
import type { BacktestProgress, BacktestResult } from './backtest-result.js';
import type { BacktestTrade } from './backtest-trade.js';
import { InvalidBacktestInputError } from './invalid-backtest-input-error.js';
import { computeMetrics } from './metrics.js';

/** Inputs of {@link runBacktestEngine}. */
export interface RunBacktestEngineParams {
  /** Base-timeframe bars; `time` is each bar's open time (epoch ms). */
  readonly bars: OhlcvSeries;
  /**
   * `bars.length × 3` row-major class probabilities in the order BUY = 0, HOLD = 1, SELL = 2,
   * row i decided on bar i's close. A row containing NaN means "no signal".
   */
  readonly probabilities: Float32Array;
  /** Run configuration; defaults per {@link BacktestConfig}. */
  readonly config?: BacktestConfig;
  /** Called at least every 1 % of the bars and once at the end. Must not throw. */
  readonly onProgress?: (progress: BacktestProgress) => void;
  /** Polled before the loop and as often as `onProgress`; returning true aborts the run. */
  readonly isCancelled?: () => boolean;
}

const HOUR_MS = 3_600_000;

/**
 * Runs a long/short backtest of precomputed class probabilities over `bars`.
 *
 * Execution model (see docs/backtest-engine.md):
 * - A signal decided on bar t's close fills at bar t+1's OPEN; no signal is decided on the last bar.
 * - Signal = the class with the strictly largest probability when that probability is
 *   ≥ `confidenceThreshold`; otherwise (ties, NaN rows, below threshold) HOLD.
 * - A signal in the direction of the open position is ignored. With `positionAwareness` an
 *   opposite signal reverses (close, then open the other side at the same bar's open); without it,
 *   the opposite signal only closes. With `allowShort` false, SELL never opens a short.
 * - Quantity = `positionSizePct × cash / entryFill`; commission = notional × `commission` at
 *   entry and at exit; fills carry `slippage` against the trader.
 * - An open position is closed at the last bar's CLOSE (slippage and commission applied).
 *
 * The bar loop allocates nothing per bar; only a closed trade allocates its record.
 *
 * @throws {@link InvalidBacktestInputError} on a bad config or mismatched inputs
 * @throws {@link BacktestCancelledError} when `isCancelled()` returns true
 */
export function runBacktestEngine(params: RunBacktestEngineParams): BacktestResult {
  const { bars, probabilities, onProgress, isCancelled } = params;
  const cfg = resolveBacktestConfig(params.config ?? {}, bars.timeframe);
  const n = bars.length;
  validateInputs(bars, probabilities, cfg.startIndex);

  const { open, high, low, close, time } = bars;
  const barMs = timeframeToMs(cfg.timeframe);
  const start = cfg.startIndex;
  const initialCapital = cfg.initialCapital;
  const commission = cfg.commission;
  const slippage = cfg.slippage;
  const sizePct = cfg.positionSizePct;
  const threshold = cfg.confidenceThreshold;
  const separation = cfg.minSignalSeparation;
  const isAware = cfg.positionAwareness;
  const canShort = cfg.allowShort;

  const equity = new Float64Array(n);
  equity.fill(initialCapital, 0, Math.min(start, n));
  const trades: BacktestTrade[] = [];

  // Position state as plain locals: the loop stays monomorphic and allocation-free.
  let cash = initialCapital;
  let pos = 0; // +1 long, -1 short, 0 flat
  let qty = 0;
  let entryFill = 0;
  let entryMs = 0;
  let entryCommission = 0;
  let extremeHigh = 0;
  let extremeLow = 0;
  let hasPending = false;
  let target = 0;
  let lastSignalBar = Number.NEGATIVE_INFINITY;
  let heldBars = 0; // bars during which a position was open, for exposure

  const barsTotal = Math.max(0, n - start);
  const step = Math.max(1, Math.floor(barsTotal / 100));
  let nextReport = step;
  if (isCancelled?.() === true) throw new BacktestCancelledError(0, barsTotal);

  for (let i = start; i < n; i++) {
    if (hasPending) {
      hasPending = false;
      const o = open[i] as number;
      if (pos !== 0) {
        // Exit at this open; the trade was held over bars entry … i-1, whose extremes are tracked.
        const exitFill = pos === 1 ? o * (1 - slippage) : o * (1 + slippage);
        const exitCommission = qty * exitFill * commission;
        cash += pos * qty * exitFill - exitCommission;
        trades.push(
          makeTrade(trades.length + 1, pos, entryMs, entryFill, time[i] as number, exitFill, qty,
            entryCommission + exitCommission, extremeHigh, extremeLow),
        );
        pos = 0;
        qty = 0;
      }
      // After a losing reversal cash can be ≤ 0; then the position just stays flat.
      if (target !== 0 && cash > 0) {
        entryFill = target === 1 ? o * (1 + slippage) : o * (1 - slippage);
        qty = (sizePct * cash) / entryFill;
        entryCommission = qty * entryFill * commission;
        // A long pays for the units; a short receives the proceeds of the units it sold.
        cash -= target * qty * entryFill + entryCommission;
        pos = target;
        entryMs = time[i] as number;
        extremeHigh = Number.NEGATIVE_INFINITY;
        extremeLow = Number.POSITIVE_INFINITY;
      }
    }

    const c = close[i] as number;
    if (pos !== 0) {
      heldBars++;
      const h = high[i] as number;
      const l = low[i] as number;
      if (h > extremeHigh) extremeHigh = h;
      if (l < extremeLow) extremeLow = l;
      if (i === n - 1) {
        const exitFill = pos === 1 ? c * (1 - slippage) : c * (1 + slippage);
        const exitCommission = qty * exitFill * commission;
        cash += pos * qty * exitFill - exitCommission;
        trades.push(
          makeTrade(trades.length + 1, pos, entryMs, entryFill, (time[i] as number) + barMs, exitFill, qty,
            entryCommission + exitCommission, extremeHigh, extremeLow),
        );
        pos = 0;
        qty = 0;
      }
    }
    const eq = pos === 0 ? cash : cash + pos * qty * c;
    equity[i] = eq;

    if (i < n - 1) {
      const row = 3 * i;
      const pBuy = probabilities[row] as number;
      const pHold = probabilities[row + 1] as number;
      const pSell = probabilities[row + 2] as number;
      // Comparisons with NaN are false, so a row with any NaN stays HOLD; so do ties.
      let signal = 0;
      if (pBuy > pHold && pBuy > pSell && pBuy >= threshold) signal = 1;
      else if (pSell > pHold && pSell > pBuy && pSell >= threshold) signal = -1;
      if (signal !== 0 && signal !== pos && i - lastSignalBar >= separation) {
        // pos is flat or opposite here. Aware: go to the signal side (reverse); unaware: flat → open,
        // opposite → close only. A short target without allowShort degrades to flat.
        let next = isAware || pos === 0 ? signal : 0;
        if (next === -1 && !canShort) next = 0;
        // Nothing would happen (e.g. SELL while flat and shorts disabled, or no cash to open).
        if (next !== pos && !(pos === 0 && cash <= 0)) {
          hasPending = true;
          target = next;
          lastSignalBar = i;
        }
      }
    }

    const done = i - start + 1;
    if (done === nextReport || done === barsTotal) {
      nextReport += step;
      if (isCancelled?.() === true) throw new BacktestCancelledError(done, barsTotal);
      onProgress?.({ barsDone: done, barsTotal, pnl: eq - initialCapital, trades: trades.length });
    }
  }

  const metrics = computeMetrics({
    equity,
    time,
    trades,
    initialCapital,
    timeframe: cfg.timeframe,
    closes: close,
    startIndex: start,
    heldBars,
  });
  return { symbol: bars.symbol, timeframe: cfg.timeframe, config: cfg, trades, equity, time, finalCash: cash, metrics };
}

function validateInputs(bars: OhlcvSeries, probabilities: Float32Array, startIndex: number): void {
  const n = bars.length;
  for (const key of ['time', 'open', 'high', 'low', 'close'] as const) {
    if (bars[key].length < n) {
      throw new InvalidBacktestInputError(`bars.${key}`, `has ${bars[key].length} values for ${n} bars`);
    }
  }
  if (probabilities.length !== 3 * n) {
    throw new InvalidBacktestInputError('probabilities', `expected ${3 * n} values (bars × 3), got ${probabilities.length}`);
  }
  if (n > 0 && startIndex >= n) {
    throw new InvalidBacktestInputError('startIndex', `${startIndex} is past the last bar (${n - 1})`);
  }
}

function makeTrade(
  tradeId: number,
  pos: number,
  entryMs: number,
  entryFill: number,
  exitMs: number,
  exitFill: number,
  qty: number,
  commission: number,
  extremeHigh: number,
  extremeLow: number,
): BacktestTrade {
  const gross = pos * qty * (exitFill - entryFill);
  const up = Math.max(0, (extremeHigh - entryFill) * qty);
  const down = Math.max(0, (entryFill - extremeLow) * qty);
  return {
    trade_id: tradeId,
    side: pos === 1 ? 'long' : 'short',
    entry_time: new Date(entryMs).toISOString(),
    entry_price: entryFill,
    exit_time: new Date(exitMs).toISOString(),
    exit_price: exitFill,
    quantity: qty,
    gross_pnl: gross,
    commission,
    net_pnl: gross - commission,
    holding_period_hours: (exitMs - entryMs) / HOUR_MS,
    mfe: pos === 1 ? up : down,
    mae: pos === 1 ? down : up,
  };
}
