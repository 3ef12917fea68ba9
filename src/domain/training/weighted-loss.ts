import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../model/tf-backend.js';

// Probabilities are clipped like Keras does, so log(0) never produces an infinite loss.
const EPSILON = 1e-7;

/**
 * Σ wᵢ·CEᵢ over a batch of softmax outputs, where CEᵢ = −log pᵢ[labelᵢ] and wᵢ is the weight of
 * row i's class. Not yet divided by Σ wᵢ, so chunks can be summed before averaging.
 */
export function weightedCrossEntropy(tf: Tf, probs: tfjs.Tensor2D, labels: tfjs.Tensor, classWeights: tfjs.Tensor): tfjs.Scalar {
  const oneHot = tf.oneHot(labels, probs.shape[1]);
  const ce = oneHot.mul(probs.clipByValue(EPSILON, 1 - EPSILON).log()).sum(1).neg();
  return ce.mul(tf.gather(classWeights, labels)).sum() as tfjs.Scalar;
}

/** Number of rows whose arg-max probability is the label. */
export function countHits(tf: Tf, probs: tfjs.Tensor2D, labels: tfjs.Tensor): tfjs.Scalar {
  return tf.equal(probs.argMax(1), labels).cast('float32').sum() as tfjs.Scalar;
}

/**
 * Class-weighted mean cross-entropy (Σ wᵢ·CEᵢ / Σ wᵢ) and plain accuracy of the model in
 * inference mode (dropout off) on a labelled set, computed in chunks to bound memory.
 */
export function evaluateLoss(
  tf: Tf,
  model: tfjs.LayersModel,
  x: tfjs.Tensor2D,
  y: tfjs.Tensor1D,
  classWeights: tfjs.Tensor,
): { loss: number; accuracy: number } {
  const n = x.shape[0];
  const rowsPerPass = 8192;
  let weighted = 0;
  let weightSum = 0;
  let hits = 0;
  for (let start = 0; start < n; start += rowsPerPass) {
    const size = Math.min(rowsPerPass, n - start);
    const packed = tf.tidy(() => {
      const xb = x.slice([start, 0], [size, -1]);
      const yb = y.slice([start], [size]);
      const probs = model.predict(xb, { batchSize: size }) as tfjs.Tensor2D;
      return tf.stack([
        weightedCrossEntropy(tf, probs, yb, classWeights),
        tf.gather(classWeights, yb).sum(),
        countHits(tf, probs, yb),
      ]);
    });
    const [w, ws, h] = packed.dataSync();
    packed.dispose();
    weighted += w as number;
    weightSum += ws as number;
    hits += h as number;
  }
  return { loss: weightSum > 0 ? weighted / weightSum : 0, accuracy: n > 0 ? hits / n : 0 };
}
