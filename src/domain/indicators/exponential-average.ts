import { assertPeriod } from './assert-period.js';
import { windowSum } from './sma.js';

/**
 * Exponential moving average with `alpha = 2 / (period + 1)`, seeded TA-Lib style: the first value
 * (at `start + period - 1`) is the simple mean of the first `period` inputs from `start`, then
 * `ema += alpha * (x - ema)`. Entries before the first value are NaN. O(n), one pass.
 *
 * `start` skips a NaN warm-up prefix of `values` (MACD's signal line is the EMA of the MACD line).
 */
export function computeEma(values: Float64Array, period: number, start = 0): Float64Array {
  return exponentialAverage(values, period, 2 / (period + 1), start);
}

/**
 * Wilder's smoothing (RMA, `alpha = 1 / period`) with the same simple-mean seed, as used by RSI,
 * ATR and ADX: `avg += (x - avg) / period`.
 */
export function computeWilderAverage(values: Float64Array, period: number, start = 0): Float64Array {
  return exponentialAverage(values, period, 1 / period, start);
}

function exponentialAverage(values: Float64Array, period: number, alpha: number, start: number): Float64Array {
  assertPeriod('period', period);
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  const first = start + period - 1;
  if (first >= n) return out;
  let avg = windowSum(values, first, period) / period;
  out[first] = avg;
  for (let i = first + 1; i < n; i++) {
    avg += (values[i]! - avg) * alpha;
    out[i] = avg;
  }
  return out;
}
