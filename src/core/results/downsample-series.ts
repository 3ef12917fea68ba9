/**
 * Indices of at most `maxPoints` points of `values` for a chart, increasing. All of them when they
 * fit; otherwise the first and the last, and in each of `floor((maxPoints − 2) / 3)` equal buckets
 * of the interior the lowest value, the highest value and the deepest drawdown (against the
 * running peak at full resolution). So the peaks and troughs a stride would skip stay, and the
 * maximum drawdown's trough is always kept.
 */
export function downsampleIndices(values: ArrayLike<number>, maxPoints: number): number[] {
  const n = values.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const dd = drawdowns(values);
  const out: number[] = [0];
  const interior = n - 2; // indices 1 … n − 2
  const buckets = Math.max(1, Math.min(interior, Math.floor((maxPoints - 2) / 3)));
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor((b * interior) / buckets);
    const hi = 1 + Math.floor(((b + 1) * interior) / buckets);
    let minI = lo;
    let maxI = lo;
    let ddI = lo;
    for (let i = lo + 1; i < hi; i++) {
      const v = values[i] as number;
      if (v < (values[minI] as number)) minI = i;
      if (v > (values[maxI] as number)) maxI = i;
      if ((dd[i] as number) > (dd[ddI] as number)) ddI = i;
    }
    const picked = [minI, maxI, ddI].sort((a, c) => a - c);
    for (const idx of picked) if (idx !== out[out.length - 1]) out.push(idx);
  }
  out.push(n - 1);
  return out;
}

/** (running peak − value) / running peak per point: a fraction ≥ 0, 0 at a new high or when the peak is ≤ 0. */
export function drawdowns(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const dd = new Float64Array(n);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v > peak) peak = v;
    dd[i] = peak > 0 ? (peak - v) / peak : 0;
  }
  return dd;
}
