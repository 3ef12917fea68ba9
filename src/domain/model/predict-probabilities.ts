import type * as tfjs from '@tensorflow/tfjs';
import { applyZScore, type ZScoreNormalization } from './feature-normalization.js';
import type { Tf } from './tf-backend.js';

/** Anything that carries a model plus the normalisation its inputs need (e.g. a loaded bundle). */
export interface ModelWithNormalization {
  readonly model: tfjs.LayersModel;
  readonly normalization: ZScoreNormalization | null;
}

/** Options of {@link predictProbabilities}. */
export interface PredictOptions {
  /** Rows per forward pass; bounds memory, larger is faster. @defaultValue 8192 */
  readonly batchSize?: number;
  /**
   * Normalisation for a bare model. Ignored when a bundle is passed (the bundle's own is used).
   * @defaultValue null (features are fed as they are)
   */
  readonly normalization?: ZScoreNormalization | null;
}

/**
 * Batched inference: class probabilities for every row of a row-major `rows × cols` feature
 * matrix, as a `rows × numClasses` row-major `Float32Array` (for the standard model:
 * column 0 = BUY, 1 = HOLD, 2 = SELL).
 *
 * The bundle's normalisation is applied first. A row with any non-finite feature (warm-up) is
 * not fed to the model; its output row is all NaN. All tensors are released before returning.
 *
 * @throws RangeError when `features.length !== rows·cols` or `cols` differs from the model's
 *   input width.
 */
export function predictProbabilities(
  tf: Tf,
  source: tfjs.LayersModel | ModelWithNormalization,
  features: Float32Array,
  rows: number,
  cols: number,
  options: PredictOptions = {},
): Float32Array {
  const isBundle = 'model' in source && 'normalization' in source;
  const model = isBundle ? source.model : source;
  const normalization = isBundle ? source.normalization : (options.normalization ?? null);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 8192));
  if (features.length !== rows * cols) {
    throw new RangeError(`features has ${features.length} values, expected ${rows} × ${cols}`);
  }
  const inputShape = model.inputs[0]?.shape;
  const outputShape = model.outputs[0]?.shape;
  if (inputShape?.[1] !== cols) {
    throw new RangeError(`model expects ${String(inputShape?.[1])} features per row, got ${cols}`);
  }
  const numClasses = outputShape?.[1];
  if (typeof numClasses !== 'number') throw new RangeError('model output has no fixed class dimension');

  const out = new Float32Array(rows * numClasses);
  const batch = new Float32Array(Math.min(batchSize, rows) * cols);
  const batchRows = new Int32Array(Math.min(batchSize, rows));
  let row = 0;
  while (row < rows) {
    // Fill the next batch with finite rows only; skipped rows get NaN output.
    let k = 0;
    for (; row < rows && k < batchSize; row++) {
      const base = row * cols;
      let finite = true;
      for (let j = 0; j < cols; j++) {
        if (!Number.isFinite(features[base + j] as number)) {
          finite = false;
          break;
        }
      }
      if (!finite) {
        out.fill(Number.NaN, row * numClasses, (row + 1) * numClasses);
        continue;
      }
      batch.set(features.subarray(base, base + cols), k * cols);
      batchRows[k++] = row;
    }
    if (k === 0) continue;
    const input = batch.subarray(0, k * cols);
    if (normalization) applyZScore(normalization, input, cols, input);
    const probs = tf.tidy(() => {
      // model.predict slices its input into batches of 32 unless told otherwise.
      const y = model.predict(tf.tensor2d(input, [k, cols]), { batchSize: k }) as tfjs.Tensor;
      return y.dataSync() as Float32Array;
    });
    for (let i = 0; i < k; i++) {
      out.set(probs.subarray(i * numClasses, (i + 1) * numClasses), (batchRows[i] as number) * numClasses);
    }
  }
  return out;
}
