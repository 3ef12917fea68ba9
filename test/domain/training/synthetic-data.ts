import { createSeededRandom } from '../../../src/domain/training/seeded-random.js';

/** A synthetic feature matrix plus labels, shaped like the real training input. */
export interface SyntheticData {
  features: Float32Array;
  rows: number;
  cols: number;
  labels: Uint8Array;
}

/**
 * Learnable, imbalanced data: features uniform in [0, 1]; the label depends only on column 0:
 * BUY (0) when > 0.8, SELL (2) when < 0.2, HOLD (1) otherwise — so about 20/60/20 %.
 */
export function learnableData(rows: number, cols: number, seed = 7): SyntheticData {
  const random = createSeededRandom(seed);
  const features = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) features[r * cols + j] = random();
    const v = features[r * cols]!;
    labels[r] = v > 0.8 ? 0 : v < 0.2 ? 2 : 1;
  }
  return { features, rows, cols, labels };
}

/** Unlearnable data: labels independent of the features. */
export function noiseData(rows: number, cols: number, seed = 11): SyntheticData {
  const random = createSeededRandom(seed);
  const features = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) features[r * cols + j] = random();
    labels[r] = Math.floor(random() * 3);
  }
  return { features, rows, cols, labels };
}
