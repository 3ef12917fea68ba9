import { assertPeriod } from './assert-period.js';
import { computeEma } from './exponential-average.js';

/** The three MACD lines, each as long as the input. */
export interface MacdOutputs {
  /** EMA(fast) - EMA(slow); first value at `slow - 1`. */
  readonly macd: Float64Array;
  /** EMA(signal) of the MACD line, seeded with the mean of its first `signal` values; first value at `slow + signal - 2`. */
  readonly signal: Float64Array;
  /** macd - signal; first value with the signal line. */
  readonly histogram: Float64Array;
}

/**
 * Moving Average Convergence/Divergence. Both EMAs are ordinary {@link computeEma} lines started at
 * bar 0, as in technicalindicators. (TA-Lib seeds the fast EMA with the mean of bars
 * `slow-fast .. slow-1` instead; the difference shrinks by `(fast-1)/(fast+1)` per bar.) O(n).
 * @throws RangeError when a period is not an integer >= 1 or `fast >= slow`.
 */
export function computeMacd(values: Float64Array, fast: number, slow: number, signal: number): MacdOutputs {
  assertPeriod('fast_period', fast);
  assertPeriod('slow_period', slow);
  assertPeriod('signal_period', signal);
  if (fast >= slow) throw new RangeError(`fast_period (${fast}) must be less than slow_period (${slow})`);
  const n = values.length;
  const fastEma = computeEma(values, fast);
  // The slow EMA's array becomes the MACD line in place: one allocation fewer on big series.
  const macd = computeEma(values, slow);
  for (let i = slow - 1; i < n; i++) macd[i] = fastEma[i]! - macd[i]!;
  const signalLine = computeEma(macd, signal, slow - 1);
  const histogram = new Float64Array(n).fill(NaN);
  for (let i = slow + signal - 2; i < n; i++) histogram[i] = macd[i]! - signalLine[i]!;
  return { macd, signal: signalLine, histogram };
}
