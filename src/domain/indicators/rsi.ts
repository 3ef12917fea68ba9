import { assertPeriod } from './assert-period.js';

/**
 * Relative Strength Index with Wilder smoothing (TA-Lib convention).
 *
 * Changes `d[i] = x[i] - x[i-1]` start at bar 1. The average gain and loss at bar `period` are the
 * simple means of the first `period` changes; afterwards `avg += (g - avg) / period`.
 * `RSI = 100 * avgGain / (avgGain + avgLoss)` (the same as `100 - 100 / (1 + RS)`), so it is 100
 * when there were only gains and 0 when only losses. With no movement at all (both averages 0)
 * RS is undefined and RSI is 50 (neutral) instead of NaN.
 *
 * First value at index `period`; earlier entries are NaN. O(n), one pass.
 */
export function computeRsi(values: Float64Array, period: number): Float64Array {
  assertPeriod('period', period);
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  if (n <= period) return out;
  let avgGain = 0;
  let avgLoss = 0;
  for (let i = 1; i <= period; i++) {
    const d = values[i]! - values[i - 1]!;
    if (d > 0) avgGain += d;
    else avgLoss -= d;
  }
  avgGain /= period;
  avgLoss /= period;
  out[period] = rsiOf(avgGain, avgLoss);
  for (let i = period + 1; i < n; i++) {
    const d = values[i]! - values[i - 1]!;
    avgGain += ((d > 0 ? d : 0) - avgGain) / period;
    avgLoss += ((d < 0 ? -d : 0) - avgLoss) / period;
    out[i] = rsiOf(avgGain, avgLoss);
  }
  return out;
}

function rsiOf(avgGain: number, avgLoss: number): number {
  const total = avgGain + avgLoss;
  return total === 0 ? 50 : (100 * avgGain) / total;
}
