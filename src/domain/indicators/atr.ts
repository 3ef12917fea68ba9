import { assertPeriod } from './assert-period.js';

/**
 * True range of bar `i >= 1`: the largest of high-low, |high - previous close| and
 * |low - previous close|. Bar 0 has no previous close and no true range.
 */
export function trueRangeAt(high: Float64Array, low: Float64Array, close: Float64Array, i: number): number {
  const h = high[i]!;
  const l = low[i]!;
  const prevClose = close[i - 1]!;
  return Math.max(h - l, Math.abs(h - prevClose), Math.abs(l - prevClose));
}

/**
 * Average True Range with Wilder smoothing (TA-Lib convention): true ranges start at bar 1; the
 * value at bar `period` is the mean of the first `period` true ranges, then
 * `atr += (tr - atr) / period`. Entries before bar `period` are NaN. O(n), one pass.
 */
export function computeAtr(high: Float64Array, low: Float64Array, close: Float64Array, period: number): Float64Array {
  assertPeriod('period', period);
  const n = close.length;
  const out = new Float64Array(n).fill(NaN);
  if (n <= period) return out;
  let atr = 0;
  for (let i = 1; i <= period; i++) atr += trueRangeAt(high, low, close, i);
  atr /= period;
  out[period] = atr;
  for (let i = period + 1; i < n; i++) {
    atr += (trueRangeAt(high, low, close, i) - atr) / period;
    out[i] = atr;
  }
  return out;
}
