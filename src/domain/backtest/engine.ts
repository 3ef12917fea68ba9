import type { OhlcvSeries } from '../data/ohlcv.js';
import { timeframeToMs } from '../data/timeframe.js';
import { BacktestCancelledError } from './backtest-cancelled-error.js';
import { resolveBacktestConfig, type BacktestConfig } from './backtest-config.js';
import type { SignalDiagnostics } from './backtest-diagnostics.js';
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
 * Runs a backtest of precomputed class probabilities over `bars`.
 *
 * Execution model (see docs/backtest-engine.md):
 * - A signal decided on bar t's close fills at bar t+1's OPEN; no signal is decided on the last bar.
 * - Signal = the class with the strictly largest probability when that probability is
 *   ≥ `confidenceThreshold`; otherwise (ties, NaN rows, below threshold) HOLD.
 * - A signal in the direction of the open position is ignored. An opposite signal closes the
 *   position (`onOppositeSignal: 'close'`) or closes it and opens the other side at the same open
 *   (`'reverse'`). With `allowShort` false (the default), SELL never opens a short.
 * - Quantity = `positionSize × cash / entryFill` (or fixed units), cut so that notional + costs ≤
 *   cash; commission = notional × `commission` + `feePerTrade` at entry and at exit; fills carry
 *   `slippage` (fraction) and `slippagePrice` (absolute) against the trader.
 * - Margin rule: when a bar's adverse extreme reaches the liquidation price (equity net of exit
 *   costs = `maintenanceMargin` × position value), the position is closed there (or at the open
 *   if the price gapped through it), cash is floored at 0 and no further position is opened.
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
  const fee = cfg.feePerTrade;
  const slippage = cfg.slippage;
  const slipAbs = cfg.slippagePrice;
  const isUnits = cfg.positionSizing === 'units';
  const size = cfg.positionSize;
  const threshold = cfg.confidenceThreshold;
  const separation = cfg.minSignalSeparation;
  const separationMs = cfg.minSignalSeparationMs;
  const isReverse = cfg.onOppositeSignal === 'reverse';
  const canShort = cfg.allowShort;
  const margin = cfg.maintenanceMargin;

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
  let liqPrice = 0; // reference price at which the margin rule closes the open position
  let extremeHigh = 0;
  let extremeLow = 0;
  let hasPending = false;
  let target = 0;
  let isStopped = false; // after a liquidation no position is opened again
  let lastSignalBar = Number.NEGATIVE_INFINITY;
  let lastFillMs = Number.NEGATIVE_INFINITY;
  let heldBars = 0; // bars during which a position was open, for exposure
  // Diagnostics counters.
  let rawBuy = 0;
  let rawSell = 0;
  let rawHold = 0;
  let belowThreshold = 0;
  let alreadyIn = 0;
  let shortBlocked = 0;
  let noCapital = 0;
  let bySeparation = 0;
  let executed = 0;
  let liquidations = 0;
  let maxBuy = 0;
  let maxSell = 0;

  const barsTotal = Math.max(0, n - start);
  const step = Math.max(1, Math.floor(barsTotal / 100));
  let nextReport = step;
  if (isCancelled?.() === true) throw new BacktestCancelledError(0, barsTotal);

  for (let i = start; i < n; i++) {
    const o = open[i] as number;
    if (hasPending) {
      hasPending = false;
      if (pos !== 0) {
        // Exit at this open; the trade was held over bars entry … i-1, whose extremes are tracked.
        const exitFill = pos === 1 ? o * (1 - slippage) - slipAbs : o * (1 + slippage) + slipAbs;
        const exitCommission = qty * exitFill * commission + fee;
        cash += pos * qty * exitFill - exitCommission;
        trades.push(
          makeTrade(trades.length + 1, pos, entryMs, entryFill, time[i] as number, exitFill, qty,
            entryCommission + exitCommission, extremeHigh, extremeLow, 'signal'),
        );
        pos = 0;
        qty = 0;
        lastFillMs = time[i] as number;
      }
      if (target !== 0 && !isStopped && cash > 0) {
        const fill = target === 1 ? o * (1 + slippage) + slipAbs : o * (1 - slippage) - slipAbs;
        let q = isUnits ? size : (size * cash) / fill;
        // No leverage: notional + commission + fee never exceed the cash at entry.
        const affordable = (cash - fee) / (fill * (1 + commission));
        if (q > affordable) q = affordable;
        if (fill > 0 && q > 0) {
          entryFill = fill;
          qty = q;
          entryCommission = qty * entryFill * commission + fee;
          // A long pays for the units; a short receives the proceeds of the units it sold.
          cash -= target * qty * entryFill + entryCommission;
          pos = target;
          entryMs = time[i] as number;
          lastFillMs = entryMs;
          extremeHigh = Number.NEGATIVE_INFINITY;
          extremeLow = Number.POSITIVE_INFINITY;
          // Cash and quantity are fixed while the position is open, so the price at which equity
          // net of exit costs falls to margin × position value is fixed too (linear in the price).
          liqPrice = target === 1
            ? (qty * slipAbs * (1 - commission) + fee - cash) / (qty * ((1 - slippage) * (1 - commission) - margin))
            : (cash - qty * slipAbs * (1 + commission) - fee) / (qty * ((1 + slippage) * (1 + commission) + margin));
        }
      }
    }

    const c = close[i] as number;
    if (pos !== 0) {
      heldBars++;
      const h = high[i] as number;
      const l = low[i] as number;
      if (h > extremeHigh) extremeHigh = h;
      if (l < extremeLow) extremeLow = l;
      if (pos === 1 ? l <= liqPrice : h >= liqPrice) {
        // Margin call: out at the liquidation price, or at the open when the bar gapped through it.
        const ref = pos === 1 ? Math.min(o, liqPrice) : Math.max(o, liqPrice);
        if (pos === 1) extremeLow = ref;
        else extremeHigh = ref;
        const exitFill = pos === 1 ? ref * (1 - slippage) - slipAbs : ref * (1 + slippage) + slipAbs;
        const exitCommission = qty * exitFill * commission + fee;
        cash += pos * qty * exitFill - exitCommission;
        trades.push(
          makeTrade(trades.length + 1, pos, entryMs, entryFill, time[i] as number, exitFill, qty,
            entryCommission + exitCommission, extremeHigh, extremeLow, 'liquidation'),
        );
        if (cash < 0) cash = 0; // a gap past the liquidation price: the deficit is not carried
        pos = 0;
        qty = 0;
        isStopped = true;
        liquidations++;
        lastFillMs = time[i] as number;
      } else if (i === n - 1) {
        const exitFill = pos === 1 ? c * (1 - slippage) - slipAbs : c * (1 + slippage) + slipAbs;
        const exitCommission = qty * exitFill * commission + fee;
        cash += pos * qty * exitFill - exitCommission;
        trades.push(
          makeTrade(trades.length + 1, pos, entryMs, entryFill, (time[i] as number) + barMs, exitFill, qty,
            entryCommission + exitCommission, extremeHigh, extremeLow, 'end_of_data'),
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
      if (pBuy > maxBuy) maxBuy = pBuy;
      if (pSell > maxSell) maxSell = pSell;
      // Comparisons with NaN are false, so a row with any NaN stays HOLD; so do ties.
      let signal = 0;
      let pWin = 0;
      if (pBuy > pHold && pBuy > pSell) {
        rawBuy++;
        signal = 1;
        pWin = pBuy;
      } else if (pSell > pHold && pSell > pBuy) {
        rawSell++;
        signal = -1;
        pWin = pSell;
      } else {
        rawHold++;
      }
      if (signal !== 0) {
        if (pWin < threshold) belowThreshold++;
        else if (signal === pos) alreadyIn++;
        else {
          // pos is flat or opposite. Flat → open the signal side; opposite → close, or reverse.
          // A short target without allowShort degrades to flat.
          let next = isReverse || pos === 0 ? signal : 0;
          if (next === -1 && !canShort) next = 0;
          if (next === pos) shortBlocked++; // SELL while flat, shorts disabled
          else if (pos === 0 && (isStopped || cash <= 0)) noCapital++;
          else if (i - lastSignalBar < separation || (time[i] as number) + barMs - lastFillMs < separationMs) bySeparation++;
          else {
            executed++;
            hasPending = true;
            target = next;
            lastSignalBar = i;
          }
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
  const diagnostics: SignalDiagnostics = {
    decision_bars: rawBuy + rawHold + rawSell,
    raw_buy: rawBuy,
    raw_hold: rawHold,
    raw_sell: rawSell,
    hold: rawHold,
    below_threshold: belowThreshold,
    already_in_position: alreadyIn,
    short_not_allowed: shortBlocked,
    no_capital: noCapital,
    by_separation: bySeparation,
    executed,
    max_buy_probability: maxBuy,
    max_sell_probability: maxSell,
    liquidations,
  };
  return { symbol: bars.symbol, timeframe: cfg.timeframe, config: cfg, trades, equity, time, finalCash: cash, metrics, diagnostics };
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
  exitReason: BacktestTrade['exit_reason'],
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
    exit_reason: exitReason,
  };
}
