/**
 * For each base bar, the index of the latest bar of another timeframe that had CLOSED by the
 * base bar's open time, or -1 when none had.
 *
 * A bar with open time T and duration D closes at T + D, so it is usable from the first base bar
 * whose open time is ≥ T + D. Using T instead would leak up to D of future prices into the past
 * (a 4h bar opening at 08:00 would be "known" at 08:00 although it is only complete at 12:00).
 *
 * Both time arrays are bar open times in epoch ms, strictly increasing. Linear time.
 */
export function alignToBase(baseTime: Float64Array, otherTime: Float64Array, otherDurationMs: number): Int32Array {
  const n = baseTime.length;
  const m = otherTime.length;
  const out = new Int32Array(n);
  let k = -1;
  for (let i = 0; i < n; i++) {
    const t = baseTime[i] as number;
    while (k + 1 < m && (otherTime[k + 1] as number) + otherDurationMs <= t) k++;
    out[i] = k;
  }
  return out;
}
