/**
 * Class weights inverse to class frequency, as the loss uses them to keep a rare class (BUY or
 * SELL in a quiet market) from being ignored.
 *
 * `w[c] ∝ 1 / count[c]`, normalised so the weights of the classes present sum to the number of
 * classes present (so a balanced set gets all ones). A class absent from `labels` gets weight 0
 * (it contributes no samples, so its weight never matters).
 *
 * @param labels class index per sample; values `≥ numClasses` are ignored.
 * @param rowIndices the samples to count (e.g. the training rows); all when omitted.
 */
export function computeClassWeights(
  labels: ArrayLike<number>,
  numClasses: number,
  rowIndices?: ArrayLike<number>,
): number[] {
  const counts = countClasses(labels, numClasses, rowIndices);
  const inverse = counts.map((c) => (c > 0 ? 1 / c : 0));
  const present = counts.filter((c) => c > 0).length;
  const total = inverse.reduce((a, b) => a + b, 0);
  return total > 0 ? inverse.map((w) => (w * present) / total) : inverse;
}

/** Number of samples of each class (`labels[i] ≥ numClasses` is not counted). */
export function countClasses(
  labels: ArrayLike<number>,
  numClasses: number,
  rowIndices?: ArrayLike<number>,
): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  const n = rowIndices ? rowIndices.length : labels.length;
  for (let k = 0; k < n; k++) {
    const label = labels[rowIndices ? (rowIndices[k] as number) : k] as number;
    if (label < numClasses) counts[label] = (counts[label] as number) + 1;
  }
  return counts;
}
