import { assertPeriod } from './assert-period.js';

/**
 * A running window sum drifts by rounding error; it is recomputed from scratch this often (bars),
 * which bounds the error without costing more than `period / RESYNC_BARS` extra adds per bar.
 */
export const RESYNC_BARS = 1024;

/**
 * Simple moving average: `out[i] = mean(values[i-period+1 .. i])`.
 *
 * Values before `start` are ignored (for averaging an indicator that is itself NaN while warming
 * up). The first value is at `start + period - 1`; earlier entries are NaN. O(n), one pass.
 */
export function computeSma(values: Float64Array, period: number, start = 0): Float64Array {
  assertPeriod('period', period);
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  const first = start + period - 1;
  if (first >= n) return out;
  let sum = windowSum(values, first, period);
  out[first] = sum / period;
  for (let i = first + 1; i < n; i++) {
    sum = (i - first) % RESYNC_BARS === 0 ? windowSum(values, i, period) : sum + (values[i]! - values[i - period]!);
    out[i] = sum / period;
  }
  return out;
}

/** Sum of `values[end-period+1 .. end]`. */
export function windowSum(values: Float64Array, end: number, period: number): number {
  let sum = 0;
  for (let j = end - period + 1; j <= end; j++) sum += values[j]!;
  return sum;
}
