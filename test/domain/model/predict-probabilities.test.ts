import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { applyZScore, fitZScore } from '../../../src/domain/model/feature-normalization.js';
import { buildMlp } from '../../../src/domain/model/mlp.js';
import { predictProbabilities } from '../../../src/domain/model/predict-probabilities.js';
import { initTensorflow, type Tf } from '../../../src/domain/model/tf-backend.js';
import { learnableData } from '../training/synthetic-data.js';

let tf: Tf;
before(async () => {
  tf = (await initTensorflow()).tf;
});

test('matches model.predict, rows sum to 1, independent of batch size, no tensor left behind', () => {
  const model = buildMlp(tf, { hiddenLayers: [6], activation: 'tanh', dropout: 0.5 }, { inputSize: 4, seed: 3 });
  const { features } = learnableData(103, 4);
  const before = tf.memory().numTensors;
  const a = predictProbabilities(tf, model, features, 103, 4, { batchSize: 7 });
  const b = predictProbabilities(tf, model, features, 103, 4, { batchSize: 10_000 });
  assert.equal(tf.memory().numTensors, before);
  const direct = tf.tidy(() => (model.predict(tf.tensor2d(features, [103, 4])) as ReturnType<typeof tf.tensor2d>).dataSync());
  assert.equal(a.length, 103 * 3);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - direct[i]!) < 1e-6);
    assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6);
  }
  for (let r = 0; r < 103; r++) assert.ok(Math.abs(a[r * 3]! + a[r * 3 + 1]! + a[r * 3 + 2]! - 1) < 1e-5);
  model.dispose();
});

test('rows with a non-finite feature give NaN rows; the others are unaffected', () => {
  const model = buildMlp(tf, { hiddenLayers: [3], activation: 'relu', dropout: 0 }, { inputSize: 2, seed: 4 });
  const { features } = learnableData(6, 2);
  const clean = predictProbabilities(tf, model, features, 6, 2);
  const holed = features.slice();
  holed[0] = Number.NaN; // row 0
  holed[7] = Number.POSITIVE_INFINITY; // row 3
  const out = predictProbabilities(tf, model, holed, 6, 2, { batchSize: 2 });
  for (let r = 0; r < 6; r++) {
    const row = Array.from(out.subarray(r * 3, r * 3 + 3));
    if (r === 0 || r === 3) assert.ok(row.every(Number.isNaN));
    else assert.deepEqual(row, Array.from(clean.subarray(r * 3, r * 3 + 3)));
  }
  model.dispose();
});

test('a bundle-like source applies its normalisation first', () => {
  const model = buildMlp(tf, { hiddenLayers: [3], activation: 'relu', dropout: 0 }, { inputSize: 2, seed: 5 });
  const { features } = learnableData(20, 2);
  const normalization = fitZScore(features, 2);
  const viaBundle = predictProbabilities(tf, { model, normalization }, features, 20, 2);
  const manual = predictProbabilities(tf, model, applyZScore(normalization, features, 2), 20, 2);
  assert.deepEqual(viaBundle, manual);
  assert.notDeepEqual(viaBundle, predictProbabilities(tf, model, features, 20, 2));
  model.dispose();
});

test('shape mismatches throw RangeError', () => {
  const model = buildMlp(tf, { hiddenLayers: [], activation: 'relu', dropout: 0 }, { inputSize: 2 });
  assert.throws(() => predictProbabilities(tf, model, new Float32Array(5), 2, 2), RangeError);
  assert.throws(() => predictProbabilities(tf, model, new Float32Array(6), 2, 3), RangeError);
  assert.equal(predictProbabilities(tf, model, new Float32Array(0), 0, 2).length, 0);
  model.dispose();
});
