/**
 * On-Balance Volume: starts at 0 on bar 0, then adds the bar's volume when the close rose, subtracts
 * it when the close fell and keeps the total when it is unchanged. Defined from bar 0 (no warm-up).
 * Its level depends on where the series starts; only its changes carry information. O(n).
 */
export function computeObv(close: Float64Array, volume: Float64Array): Float64Array {
  const n = close.length;
  const out = new Float64Array(n);
  let total = 0;
  for (let i = 1; i < n; i++) {
    const c = close[i]!;
    const prev = close[i - 1]!;
    if (c > prev) total += volume[i]!;
    else if (c < prev) total -= volume[i]!;
    out[i] = total;
  }
  return out;
}
