import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { predictProbabilities } from '../../../src/domain/model/predict-probabilities.js';
import { initTensorflow, type Tf } from '../../../src/domain/model/tf-backend.js';
import { trainModel } from '../../../src/domain/training/train-model.js';
import { TrainingCancelledError } from '../../../src/domain/training/training-cancelled-error.js';
import { TrainingInputError } from '../../../src/domain/training/training-input-error.js';
import type { EpochMetrics, TrainingProgress } from '../../../src/domain/training/training-spec.js';
import { learnableData, noiseData } from './synthetic-data.js';

let tf: Tf;
before(async () => {
  tf = (await initTensorflow()).tf;
});

const split = { train: 0.7, validation: 0.15, test: 0.15 };

test('learns a learnable imbalanced dataset in a few epochs and beats the majority baseline', async () => {
  const data = learnableData(3000, 4);
  const tensorsBefore = tf.memory().numTensors;
  const epochs: EpochMetrics[] = [];
  const result = await trainModel(
    tf,
    {
      data: { ...data, split },
      model: { hiddenLayers: [16, 8], activation: 'relu', dropout: 0.1 },
      training: { epochs: 8, batchSize: 32, learningRate: 0.01 },
    },
    { onEpochEnd: (m) => void epochs.push(m) },
  );
  try {
    const { metrics } = result;
    const test = metrics.test!;
    assert.equal(metrics.epochs_run, 8);
    assert.deepEqual(epochs, metrics.history);
    assert.deepEqual(metrics.split_rows, { train: 2100, validation: 450, test: 450 });
    assert.ok(test.accuracy > 0.9, `test accuracy ${test.accuracy}`);
    // Majority (HOLD) is ~60 %; the model must clear it by a wide margin.
    assert.ok(test.baseline_accuracy > 0.5 && test.baseline_accuracy < 0.7, String(test.baseline_accuracy));
    assert.ok(test.accuracy > test.baseline_accuracy + 0.2);
    assert.ok(test.per_class.every((c) => c.recall > 0.7), JSON.stringify(test.per_class));
    // The loss goes down and every epoch record is complete.
    assert.ok(metrics.history.at(-1)!.train_loss < metrics.history[0]!.train_loss);
    for (const [i, m] of metrics.history.entries()) {
      assert.equal(m.epoch, i + 1);
      assert.equal(m.learning_rate, 0.01);
      assert.ok(m.duration_s > 0 && Number.isFinite(m.train_loss) && m.val_loss !== null && m.val_accuracy !== null);
    }
    // Test split = the newest 450 rows; its label counts are recounted here.
    const testCounts = [0, 0, 0];
    for (let r = 2550; r < 3000; r++) testCounts[data.labels[r]!]!++;
    assert.deepEqual(metrics.label_distribution.test, testCounts);
    assert.deepEqual(test.per_class.map((c) => c.support), testCounts);
  } finally {
    result.model.dispose();
  }
  assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
});

test('class weights are inverse train-split frequencies (each class gets equal total weight)', async () => {
  const data = learnableData(1000, 2);
  const result = await trainModel(tf, {
    data: { ...data, split: { train: 0.8, validation: 0.2, test: 0 } },
    model: { hiddenLayers: [4], activation: 'tanh', dropout: 0 },
    training: { epochs: 1, batchSize: 100, learningRate: 0.01 },
  });
  result.model.dispose();
  const counts = [0, 0, 0];
  for (let r = 0; r < 800; r++) counts[data.labels[r]!]!++;
  const w = result.metrics.class_weights;
  const totals = w.map((x, c) => x * counts[c]!);
  assert.ok(totals.every((t) => Math.abs(t - totals[0]!) < 1e-9), JSON.stringify({ w, counts }));
  assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 3) < 1e-9);
  assert.equal(result.metrics.test, null);
});

test('early stopping on unlearnable data stops after `patience` epochs without improvement and restores the best weights', async () => {
  const data = noiseData(1500, 3);
  const result = await trainModel(tf, {
    data: { ...data, split: { train: 0.6, validation: 0.4, test: 0 } },
    model: { hiddenLayers: [32, 32], activation: 'relu', dropout: 0 },
    training: { epochs: 60, batchSize: 16, learningRate: 0.01, patience: 2 },
  });
  try {
    const { history, best_epoch, epochs_run, stopped_early } = result.metrics;
    assert.ok(stopped_early);
    assert.ok(epochs_run < 60);
    assert.equal(epochs_run, best_epoch + 2);
    const losses = history.map((m) => m.val_loss!);
    assert.equal(Math.min(...losses), losses[best_epoch - 1]);
    // Recompute the weighted validation loss of the returned model independently.
    const valRows = Array.from({ length: 600 }, (_, i) => 900 + i);
    const x = new Float32Array(valRows.length * 3);
    valRows.forEach((r, k) => x.set(data.features.subarray(r * 3, r * 3 + 3), k * 3));
    const probs = predictProbabilities(tf, result.model, x, valRows.length, 3);
    const w = result.metrics.class_weights;
    let num = 0;
    let den = 0;
    valRows.forEach((r, k) => {
      const label = data.labels[r]!;
      const p = Math.min(Math.max(probs[k * 3 + label]!, 1e-7), 1 - 1e-7);
      num += -Math.log(p) * w[label]!;
      den += w[label]!;
    });
    assert.ok(Math.abs(num / den - losses[best_epoch - 1]!) < 1e-4, `${num / den} vs ${losses[best_epoch - 1]}`);
  } finally {
    result.model.dispose();
  }
});

test('an AbortSignal aborted mid-epoch stops training within a batch, with nothing leaked', async () => {
  const data = learnableData(2000, 4);
  const tensorsBefore = tf.memory().numTensors;
  const controller = new AbortController();
  const seen: TrainingProgress[] = [];
  await assert.rejects(
    trainModel(
      tf,
      {
        data: { ...data, split },
        model: { hiddenLayers: [8], activation: 'relu', dropout: 0 },
        training: { epochs: 20, batchSize: 50, learningRate: 0.01 },
      },
      {
        signal: controller.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          seen.push(p);
          if (p.epoch === 2 && p.batch === 3) controller.abort();
        },
      },
    ),
    (err: unknown) => {
      assert.ok(err instanceof TrainingCancelledError);
      assert.equal(err.code, 'TRAINING_CANCELLED');
      assert.equal(err.epoch, 2);
      assert.equal(err.batch, 3);
      return true;
    },
  );
  assert.equal(seen.at(-1)!.batch, 3);
  assert.equal(seen[0]!.totalBatches, 28); // ceil(1400 / 50)
  assert.ok(Math.abs(seen.at(-1)!.fraction - (1 + 3 / 28) / 20) < 1e-12);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
});

test('an abort from a timer is seen while training runs (the loop yields); isCancelled() also cancels', async () => {
  const data = learnableData(3000, 8);
  const request = {
    data: { ...data, split },
    model: { hiddenLayers: [32], activation: 'relu' as const, dropout: 0 },
    training: { epochs: 200, batchSize: 16, learningRate: 0.001 },
  };
  const started = performance.now();
  await assert.rejects(trainModel(tf, request, { signal: AbortSignal.timeout(300) }), TrainingCancelledError);
  assert.ok(performance.now() - started < 3000, 'took too long to see the abort');

  let calls = 0;
  await assert.rejects(trainModel(tf, request, { isCancelled: () => ++calls > 5 }), (err: unknown) => {
    assert.ok(err instanceof TrainingCancelledError);
    // Polled once up front, then before each batch: the 6th poll comes before batch index 4.
    assert.deepEqual([err.epoch, err.batch], [1, 4]);
    return true;
  });
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(trainModel(tf, request, { signal: aborted.signal }), TrainingCancelledError);
});

test('non-finite feature rows and labels ≥ 3 are skipped; normalisation is fitted on train rows', async () => {
  const data = learnableData(1000, 2);
  for (let r = 0; r < 100; r++) data.features[r * 2 + 1] = Number.NaN; // warm-up
  data.labels[999] = 255; // masked
  const result = await trainModel(tf, {
    data: { ...data, split: { train: 0.5, validation: 0.5, test: 0 } },
    model: { hiddenLayers: [4], activation: 'sigmoid', dropout: 0 },
    training: { epochs: 1, batchSize: 64, learningRate: 0.01, normalize: true },
  });
  result.model.dispose();
  // 899 usable rows: train = round(449.5) = 450 rows = rows 100 … 549.
  assert.deepEqual(result.metrics.split_rows, { train: 450, validation: 449, test: 0 });
  let sum = 0;
  for (let r = 100; r < 550; r++) sum += data.features[r * 2]!;
  assert.ok(Math.abs(result.normalization!.mean[0]! - sum / 450) < 1e-9);
});

test('same seed and no dropout: identical runs', async () => {
  const data = learnableData(800, 3);
  const run = async () => {
    const r = await trainModel(tf, {
      data: { ...data, split },
      model: { hiddenLayers: [6], activation: 'relu', dropout: 0 },
      training: { epochs: 2, batchSize: 32, learningRate: 0.01, seed: 3 },
    });
    r.model.dispose();
    return r.metrics.history.map((m) => [m.train_loss, m.val_loss]);
  };
  assert.deepEqual(await run(), await run());
});

test('invalid input is rejected with TrainingInputError', async () => {
  const data = learnableData(100, 2);
  const base = {
    data: { ...data, split },
    model: { hiddenLayers: [4], activation: 'relu' as const, dropout: 0 },
    training: { epochs: 1, batchSize: 8, learningRate: 0.01 },
  };
  const bad = [
    { ...base, data: { ...base.data, labels: data.labels.subarray(1) } },
    { ...base, data: { ...base.data, rows: 99 } },
    { ...base, data: { ...base.data, split: { train: 0.5, validation: 0.1, test: 0.1 } } },
    { ...base, training: { ...base.training, batchSize: 0 } },
    { ...base, training: { ...base.training, epochs: 1.5 } },
    { ...base, training: { ...base.training, learningRate: 0 } },
    { ...base, training: { ...base.training, patience: 0 } },
  ];
  for (const request of bad) await assert.rejects(trainModel(tf, request), TrainingInputError);
});

test('same seed WITH dropout: identical weights and metrics; another seed differs', async () => {
  const data = learnableData(800, 3);
  const run = async (seed: number) => {
    const r = await trainModel(tf, {
      data: { ...data, split },
      model: { hiddenLayers: [12, 6], activation: 'relu', dropout: 0.3 },
      training: { epochs: 3, batchSize: 32, learningRate: 0.01, seed },
    });
    const weights = r.model.getWeights().map((w) => Array.from(w.dataSync()));
    r.model.dispose();
    const { duration_s: _d, history, ...rest } = r.metrics;
    return { weights, rest, history: history.map(({ duration_s: _e, ...h }) => h) };
  };
  const a = await run(7);
  const b = await run(7);
  assert.deepEqual(a.weights, b.weights);
  assert.deepEqual(a.history, b.history);
  assert.deepEqual(a.rest, b.rest);
  assert.equal(a.rest.seed, 7);
  const c = await run(8);
  assert.notDeepEqual(c.weights, a.weights);
});

test('test metrics carry balanced accuracy, macro-F1, kappa and the training-set majority and chance baselines', async () => {
  const data = learnableData(1500, 4);
  const r = await trainModel(tf, {
    data: { ...data, split },
    model: { hiddenLayers: [16], activation: 'relu', dropout: 0 },
    training: { epochs: 6, batchSize: 32, learningRate: 0.01 },
  });
  r.model.dispose();
  const t = r.metrics.test!;
  const train = r.metrics.label_distribution.train;
  const majority = train.indexOf(Math.max(...train));
  assert.equal(t.train_majority!.class, ['BUY', 'HOLD', 'SELL'][majority]);
  assert.equal(t.train_majority!.accuracy, t.per_class[majority]!.support / t.samples);
  assert.ok(t.balanced_accuracy > 0.8 && t.macro_f1 > 0.8 && t.cohen_kappa > 0.7, JSON.stringify(t));
  assert.ok(t.chance_accuracy! > 0 && t.chance_accuracy! < t.train_majority!.accuracy);
});

test('times given: rows of several symbols are split by bar time, never one symbol in train and the other in test', async () => {
  const a = learnableData(600, 3);
  const b = learnableData(600, 3);
  const features = new Float32Array(a.features.length * 2);
  features.set(a.features);
  features.set(b.features, a.features.length);
  const labels = new Uint8Array(1200);
  labels.set(a.labels);
  labels.set(b.labels, 600);
  const times = Float64Array.from({ length: 1200 }, (_, i) => (i % 600) * 3_600_000);
  const r = await trainModel(tf, {
    data: { features, rows: 1200, cols: a.cols, labels, split, times },
    model: { hiddenLayers: [4], activation: 'relu', dropout: 0 },
    training: { epochs: 1, batchSize: 64, learningRate: 0.01, splitGapRows: 5 },
  });
  r.model.dispose();
  assert.equal(r.metrics.split_by, 'time');
  // 420 bar times (840 rows) train; 5 bar times purged; 85 validate; 5 purged; 85 test.
  assert.deepEqual(r.metrics.split_rows, { train: 840, validation: 170, test: 170 });
});
