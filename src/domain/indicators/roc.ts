import { assertPeriod } from './assert-period.js';

/**
 * Rate of change in percent: `100 * (x[i] - x[i-period]) / x[i-period]`. First value at index
 * `period`; earlier entries are NaN. A zero reference value gives ±Infinity or NaN (prices are
 * positive; a `volume` source can hit it). O(n).
 */
export function computeRoc(values: Float64Array, period: number): Float64Array {
  assertPeriod('period', period);
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = period; i < n; i++) {
    const ref = values[i - period]!;
    out[i] = (100 * (values[i]! - ref)) / ref;
  }
  return out;
}
