import { pathToFileURL } from 'node:url';
import type * as tfjs from '@tensorflow/tfjs';
import { buildMlp } from '../src/domain/model/mlp.js';
import { predictProbabilities } from '../src/domain/model/predict-probabilities.js';
import { initTensorflow } from '../src/domain/model/tf-backend.js';
import { createSeededRandom } from '../src/domain/training/seeded-random.js';
import { trainModel } from '../src/domain/training/train-model.js';

/** One benchmark measurement. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const ROWS = 50_000;
const COLS = 40;
const BATCH = 256;
const EPOCHS = 3; // the first epoch is warm-up; the mean of the others is reported
const SPEC = { hiddenLayers: [64, 32], activation: 'relu', dropout: 0.2 } as const;

/**
 * Epoch time of our training path (`trainModel`: seeded shuffle, class-weighted loss, progress,
 * cancellation checks) against a bare `model.fit` on the same data and network, on the backend
 * `initTensorflow('auto')` picks; plus batched inference throughput. Target: ratio ≤ 1.5.
 */
export async function benchTraining(): Promise<BenchResult[]> {
  const { tf, backend } = await initTensorflow();
  const random = createSeededRandom(1);
  const features = new Float32Array(ROWS * COLS);
  const labels = new Uint8Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < COLS; j++) features[r * COLS + j] = random();
    const v = features[r * COLS]! + features[r * COLS + 1]!;
    labels[r] = v > 1.3 ? 0 : v < 0.7 ? 2 : 1;
  }

  // Ours: all rows train (no validation/test) so both sides do the same work per epoch.
  const ours = await trainModel(tf, {
    data: { features, rows: ROWS, cols: COLS, labels, split: { train: 1, validation: 0, test: 0 } },
    model: SPEC,
    training: { epochs: EPOCHS, batchSize: BATCH, learningRate: 0.001 },
  });
  const oursEpoch = mean(ours.metrics.history.slice(1).map((m) => m.duration_s));

  const probsStart = performance.now();
  predictProbabilities(tf, ours.model, features, ROWS, COLS);
  const predictS = (performance.now() - probsStart) / 1000;
  ours.model.dispose();

  // Bare tfjs: compile + fit with shuffling, categorical cross-entropy and accuracy.
  const model = buildMlp(tf, SPEC, { inputSize: COLS, seed: 42 });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.tensor2d(features, [ROWS, COLS]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 3));
  const epochTimes: number[] = [];
  let epochStart = 0;
  await model.fit(x, y, {
    epochs: EPOCHS,
    batchSize: BATCH,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => {
        epochStart = performance.now();
      },
      onEpochEnd: async () => {
        epochTimes.push((performance.now() - epochStart) / 1000);
      },
    },
  });
  const bareEpoch = mean(epochTimes.slice(1));
  tf.dispose([x, y] as tfjs.Tensor[]);
  model.dispose();

  return [
    { name: `training.epoch_50k_x40.ours.${backend}`, value: oursEpoch, unit: 's' },
    { name: `training.epoch_50k_x40.bare_fit.${backend}`, value: bareEpoch, unit: 's' },
    { name: 'training.epoch_ratio_ours_vs_bare', value: oursEpoch / bareEpoch, unit: 'x' },
    { name: `training.predict_50k_x40.${backend}`, value: ROWS / predictS, unit: 'rows/s' },
  ];
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchTraining()) console.log(`${r.name}: ${r.value.toFixed(3)} ${r.unit}`);
}
