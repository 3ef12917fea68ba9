/**
 * Per-column z-score parameters, fitted on the training rows only and stored in the model
 * bundle so inference applies exactly the same transform: `x' = (x - mean[j]) / std[j]`.
 */
export interface ZScoreNormalization {
  readonly method: 'zscore';
  /** Column means, one per feature, in feature order. */
  readonly mean: readonly number[];
  /** Column standard deviations (population); 1 where a column is constant or undefined. */
  readonly std: readonly number[];
}

/**
 * Fits z-score parameters over the given rows of a row-major `rows × cols` matrix.
 * Non-finite values are ignored per column; a column with no finite value gets mean 0, std 1,
 * and a constant column gets std 1 (so it maps to 0 instead of dividing by zero).
 *
 * @param rowIndices the rows to fit on (e.g. the training rows); all rows when omitted.
 */
export function fitZScore(
  values: Float32Array,
  cols: number,
  rowIndices?: ArrayLike<number>,
): ZScoreNormalization {
  const rowCount = rowIndices ? rowIndices.length : Math.floor(values.length / cols);
  const sum = new Float64Array(cols);
  const sumSq = new Float64Array(cols);
  const count = new Float64Array(cols);
  // Two-pass (mean first, then squared deviations) for numerical stability.
  for (let k = 0; k < rowCount; k++) {
    const base = (rowIndices ? (rowIndices[k] as number) : k) * cols;
    for (let j = 0; j < cols; j++) {
      const v = values[base + j] as number;
      if (Number.isFinite(v)) {
        sum[j] = (sum[j] as number) + v;
        count[j] = (count[j] as number) + 1;
      }
    }
  }
  const mean = Array.from(sum, (s, j) => ((count[j] as number) > 0 ? s / (count[j] as number) : 0));
  for (let k = 0; k < rowCount; k++) {
    const base = (rowIndices ? (rowIndices[k] as number) : k) * cols;
    for (let j = 0; j < cols; j++) {
      const v = values[base + j] as number;
      if (Number.isFinite(v)) {
        const d = v - (mean[j] as number);
        sumSq[j] = (sumSq[j] as number) + d * d;
      }
    }
  }
  const std = Array.from(sumSq, (s, j) => {
    const n = count[j] as number;
    const sd = n > 0 ? Math.sqrt(s / n) : 0;
    return sd > 1e-12 && Number.isFinite(sd) ? sd : 1;
  });
  return { method: 'zscore', mean, std };
}

/**
 * Writes the normalised copy of `values` (row-major, `cols` wide) into `out` (which may be
 * `values` itself). NaN stays NaN.
 */
export function applyZScore(
  normalization: ZScoreNormalization,
  values: Float32Array,
  cols: number,
  out: Float32Array = new Float32Array(values.length),
): Float32Array {
  const { mean, std } = normalization;
  if (mean.length !== cols || std.length !== cols) {
    throw new RangeError(`normalization has ${mean.length} columns, features have ${cols}`);
  }
  const m = Float64Array.from(mean);
  const inv = Float64Array.from(std, (s) => 1 / s);
  for (let base = 0; base < values.length; base += cols) {
    for (let j = 0; j < cols; j++) {
      out[base + j] = ((values[base + j] as number) - (m[j] as number)) * (inv[j] as number);
    }
  }
  return out;
}
