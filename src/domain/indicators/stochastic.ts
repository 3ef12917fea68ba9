import { assertPeriod } from './assert-period.js';
import { rollingMax, rollingMin } from './rolling-extremes.js';
import { computeSma } from './sma.js';

/** The stochastic lines, each as long as the input. */
export interface StochasticOutputs {
  /** Slow %K: SMA(smooth_k) of the raw %K; first value at `k_period + smooth_k - 2`. */
  readonly k: Float64Array;
  /** %D: SMA(d_period) of %K; first value at `k_period + smooth_k + d_period - 3`. */
  readonly d: Float64Array;
}

/**
 * Full stochastic oscillator (TA-Lib STOCH with SMA smoothing): raw
 * `%K = 100 * (close - lowest low) / (highest high - lowest low)` over `kPeriod` bars, `k` = its
 * SMA over `smoothK` bars (1 = the fast stochastic), `d` = SMA of `k` over `dPeriod` bars.
 * A window with no range (highest high = lowest low) gives raw %K = 50 (neutral) instead of NaN.
 * O(n).
 */
export function computeStochastic(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  kPeriod: number,
  dPeriod: number,
  smoothK: number,
): StochasticOutputs {
  assertPeriod('k_period', kPeriod);
  assertPeriod('d_period', dPeriod);
  assertPeriod('smooth_k', smoothK);
  const n = close.length;
  // rawK reuses the rolling-max array: one allocation fewer on big series.
  const rawK = rollingMax(high, kPeriod);
  const lowest = rollingMin(low, kPeriod);
  for (let i = kPeriod - 1; i < n; i++) {
    const ll = lowest[i]!;
    const range = rawK[i]! - ll;
    rawK[i] = range > 0 ? (100 * (close[i]! - ll)) / range : 50;
  }
  const k = computeSma(rawK, smoothK, kPeriod - 1);
  const d = computeSma(k, dPeriod, kPeriod + smoothK - 2);
  return { k, d };
}
