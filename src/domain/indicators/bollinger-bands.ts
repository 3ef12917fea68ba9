import { assertPeriod } from './assert-period.js';
import { RESYNC_BARS } from './sma.js';

/** The Bollinger Band lines, each as long as the input; first value at `period - 1`. */
export interface BollingerBandsOutputs {
  /** middle + multiplier * sd */
  readonly upper: Float64Array;
  /** Simple moving average of the window. */
  readonly middle: Float64Array;
  /** middle - multiplier * sd */
  readonly lower: Float64Array;
  /** (upper - lower) / middle: the band width relative to the price level. */
  readonly width: Float64Array;
}

/**
 * Relative error allowed in the window's sum of squared deviations before it is recomputed
 * exactly; it keeps the standard deviation within ~1e-11 relative of a two-pass computation.
 */
const MAX_RELATIVE_M2_ERROR = 1e-11;

/**
 * Bollinger Bands with the population standard deviation (divide by `period`, as TA-Lib and
 * technicalindicators do).
 *
 * The window statistics slide in O(1) per bar as sums of deviations from a reference value taken
 * from the window (`s1 = sum(x - ref)`, `s2 = sum((x - ref)^2)`, `m2 = s2 - s1^2 / period`), with a
 * running bound on their rounding error. When that bound exceeds {@link MAX_RELATIVE_M2_ERROR} of
 * `m2` (a window much calmer than the ones before it, e.g. a run of equal prices, where a sliding
 * variance would otherwise be pure rounding noise), or every {@link RESYNC_BARS} bars, the window
 * is recomputed exactly in O(period). A constant window gives sd exactly 0.
 * @throws RangeError when `period` is not an integer >= 1 or `multiplier` is not a finite number > 0.
 */
export function computeBollingerBands(values: Float64Array, period: number, multiplier: number): BollingerBandsOutputs {
  assertPeriod('period', period);
  if (!Number.isFinite(multiplier) || multiplier <= 0) throw new RangeError(`multiplier must be a finite number > 0, got ${multiplier}`);
  const n = values.length;
  const upper = new Float64Array(n).fill(NaN);
  const middle = new Float64Array(n).fill(NaN);
  const lower = new Float64Array(n).fill(NaN);
  const width = new Float64Array(n).fill(NaN);
  const first = period - 1;
  if (first >= n) return { upper, middle, lower, width };
  const eps = Number.EPSILON;
  let ref = 0;
  let s1 = 0;
  let s2 = 0;
  let err1 = 0;
  let err2 = 0;
  for (let i = first; i < n; i++) {
    let m2: number;
    let exact = (i - first) % RESYNC_BARS === 0;
    if (!exact) {
      const dx = values[i]! - ref;
      const dy = values[i - period]! - ref;
      s1 += dx - dy;
      s2 += dx * dx - dy * dy;
      err1 += eps * (Math.abs(dx) + Math.abs(dy) + Math.abs(s1));
      err2 += eps * (4 * (dx * dx + dy * dy) + Math.abs(s2));
      m2 = s2 - (s1 * s1) / period;
      const errM2 = err2 + (2 * Math.abs(s1) * err1) / period + eps * (Math.abs(s2) + (s1 * s1) / period);
      exact = errM2 > MAX_RELATIVE_M2_ERROR * m2;
    }
    if (exact) {
      ref = values[i]!;
      s1 = 0;
      s2 = 0;
      let sumAbs = 0;
      for (let j = i - first; j <= i; j++) {
        const d = values[j]! - ref;
        s1 += d;
        s2 += d * d;
        sumAbs += Math.abs(d);
      }
      err1 = eps * period * sumAbs;
      err2 = 2 * eps * period * s2;
    }
    m2 = s2 - (s1 * s1) / period;
    const mean = ref + s1 / period;
    const band = m2 > 0 ? multiplier * Math.sqrt(m2 / period) : 0;
    middle[i] = mean;
    upper[i] = mean + band;
    lower[i] = mean - band;
    width[i] = (2 * band) / mean;
  }
  return { upper, middle, lower, width };
}
