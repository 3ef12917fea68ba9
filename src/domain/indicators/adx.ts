import { assertPeriod } from './assert-period.js';
import { trueRangeAt } from './atr.js';

/** The ADX lines, each as long as the input. */
export interface AdxOutputs {
  /** Wilder average of DX over `period` bars; first value at `2 * period - 1`. */
  readonly adx: Float64Array;
  /** +DI = 100 * smoothed +DM / smoothed TR; first value at `period`. */
  readonly plus_di: Float64Array;
  /** -DI = 100 * smoothed -DM / smoothed TR; first value at `period`. */
  readonly minus_di: Float64Array;
}

/**
 * Average Directional Index with Wilder's original smoothing (as technicalindicators).
 *
 * From bar 1: `up = high - prevHigh`, `down = prevLow - low`; +DM = up when up > down and up > 0,
 * else 0; -DM = down when down > up and down > 0, else 0 (a tie gives 0 to both); TR is the true
 * range. TR, +DM and -DM are smoothed with Wilder averages seeded by the mean of bars 1..period
 * (Wilder's "sum of the first 14", scaled; DI is a ratio, so sums and means give the same DI).
 * DX = 100 * |+DI - -DI| / (+DI + -DI) from bar `period`; ADX is the Wilder average of DX seeded by
 * the mean of its first `period` values.
 *
 * A window without any range (smoothed TR 0) has +DI = -DI = 0, and DX = 0 when +DI + -DI = 0,
 * instead of NaN. O(n), one pass.
 */
export function computeAdx(high: Float64Array, low: Float64Array, close: Float64Array, period: number): AdxOutputs {
  assertPeriod('period', period);
  const n = close.length;
  const adx = new Float64Array(n).fill(NaN);
  const plusDi = new Float64Array(n).fill(NaN);
  const minusDi = new Float64Array(n).fill(NaN);
  let tr = 0;
  let plusDm = 0;
  let minusDm = 0;
  let dxSum = 0;
  let adxValue = 0;
  for (let i = 1; i < n; i++) {
    const up = high[i]! - high[i - 1]!;
    const down = low[i - 1]! - low[i]!;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    const range = trueRangeAt(high, low, close, i);
    if (i < period) {
      tr += range;
      plusDm += pdm;
      minusDm += mdm;
      continue;
    }
    if (i === period) {
      tr = (tr + range) / period;
      plusDm = (plusDm + pdm) / period;
      minusDm = (minusDm + mdm) / period;
    } else {
      tr += (range - tr) / period;
      plusDm += (pdm - plusDm) / period;
      minusDm += (mdm - minusDm) / period;
    }
    const pdi = tr > 0 ? (100 * plusDm) / tr : 0;
    const mdi = tr > 0 ? (100 * minusDm) / tr : 0;
    plusDi[i] = pdi;
    minusDi[i] = mdi;
    const diSum = pdi + mdi;
    const dx = diSum > 0 ? (100 * Math.abs(pdi - mdi)) / diSum : 0;
    const k = i - period; // DX index: 0 at bar `period`
    if (k < period - 1) {
      dxSum += dx;
    } else if (k === period - 1) {
      adxValue = (dxSum + dx) / period;
      adx[i] = adxValue;
    } else {
      adxValue += (dx - adxValue) / period;
      adx[i] = adxValue;
    }
  }
  return { adx, plus_di: plusDi, minus_di: minusDi };
}
