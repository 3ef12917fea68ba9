import { assertPeriod } from './assert-period.js';

/** Highest value of each `period`-bar window ending at i; NaN before `period - 1`. O(n). */
export function rollingMax(values: Float64Array, period: number): Float64Array {
  return rollingExtreme(values, period, true);
}

/** Lowest value of each `period`-bar window ending at i; NaN before `period - 1`. O(n). */
export function rollingMin(values: Float64Array, period: number): Float64Array {
  return rollingExtreme(values, period, false);
}

// Monotonic deque of indices: the front is the window's extreme, and each index enters and leaves
// once, so the whole pass is O(n) whatever the period.
function rollingExtreme(values: Float64Array, period: number, isMax: boolean): Float64Array {
  assertPeriod('period', period);
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  if (period > n) return out;
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (isMax) {
      while (tail > head && values[deque[tail - 1]!]! <= x) tail--;
    } else {
      while (tail > head && values[deque[tail - 1]!]! >= x) tail--;
    }
    deque[tail++] = i;
    if (deque[head]! <= i - period) head++;
    if (i >= period - 1) out[i] = values[deque[head]!]!;
  }
  return out;
}
