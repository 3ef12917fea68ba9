import { applyZScore, type ZScoreNormalization } from '../model/feature-normalization.js';

/** Rows whose features are all finite and whose label is a class (< `numClasses`), ascending. */
export function usableRows(features: Float32Array, cols: number, labels: Uint8Array, numClasses: number): Int32Array {
  const out = new Int32Array(labels.length);
  let n = 0;
  for (let r = 0; r < labels.length; r++) {
    if ((labels[r] as number) >= numClasses) continue;
    const base = r * cols;
    let ok = true;
    for (let j = 0; j < cols; j++) {
      if (!Number.isFinite(features[base + j] as number)) {
        ok = false;
        break;
      }
    }
    if (ok) out[n++] = r;
  }
  return out.subarray(0, n);
}

/** Copies the given rows of a row-major matrix into a new dense matrix, z-scoring them if asked. */
export function gatherRows(
  features: Float32Array,
  cols: number,
  rows: Int32Array,
  normalization: ZScoreNormalization | null,
): Float32Array {
  const out = new Float32Array(rows.length * cols);
  for (let k = 0; k < rows.length; k++) {
    const base = (rows[k] as number) * cols;
    out.set(features.subarray(base, base + cols), k * cols);
  }
  return normalization ? applyZScore(normalization, out, cols, out) : out;
}

/** The labels of the given rows, as int32 (what tfjs wants for class indices). */
export function gatherLabels(labels: Uint8Array, rows: Int32Array): Int32Array {
  return Int32Array.from(rows, (r) => labels[r] as number);
}
