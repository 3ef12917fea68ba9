/** Which part of a series to downsample: `[start, end)`. */
export interface DownsampleRange {
  /** First index. @defaultValue 0 */
  start?: number;
  /** One past the last index. @defaultValue values.length */
  end?: number;
}

/**
 * Indices of at most `maxPoints` points of `values[start, end)` for a chart, increasing. All of
 * them when they fit; otherwise the first and the last, and in each of `floor((maxPoints − 2) / 3)`
 * equal buckets of the interior the lowest value, the highest value and the deepest drawdown
 * (against the running peak from `start`, at full resolution). So the peaks and troughs a stride
 * would skip stay, and the maximum drawdown's trough is always kept.
 *
 * @throws RangeError when `maxPoints` is not an integer ≥ 2
 */
export function downsampleIndices(values: ArrayLike<number>, maxPoints: number, range: DownsampleRange = {}): number[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  const start = Math.max(0, range.start ?? 0);
  const end = Math.min(values.length, range.end ?? values.length);
  const count = end - start;
  if (count <= 0) return [];
  if (count <= maxPoints) return Array.from({ length: count }, (_, k) => start + k);
  const dd = drawdowns(values, start);
  const out: number[] = [start];
  const first = start + 1; // the interior is [first, end − 1)
  const interior = end - 1 - first;
  const buckets = Math.min(interior, Math.floor((maxPoints - 2) / 3));
  for (let b = 0; b < buckets; b++) {
    const lo = first + Math.floor((b * interior) / buckets);
    const hi = first + Math.floor(((b + 1) * interior) / buckets);
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
  out.push(end - 1);
  return out;
}

/**
 * (running peak − value) / running peak per point from `start` (the peak counted from `start`): a
 * fraction ≥ 0, 0 at a new high or when the peak is ≤ 0, and 0 before `start`.
 */
export function drawdowns(values: ArrayLike<number>, start = 0): Float64Array {
  const n = values.length;
  const dd = new Float64Array(n);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = start; i < n; i++) {
    const v = values[i] as number;
    if (v > peak) peak = v;
    dd[i] = peak > 0 ? (peak - v) / peak : 0;
  }
  return dd;
}
