/** Wall-clock epoch milliseconds with sub-millisecond precision, comparable across processes and threads on one host. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The p-th percentile (0–100) of an ascending array; NaN when empty. */
export function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function sortedCopy(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}
