import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { buildMlp, MlpSpecError } from '../../../src/domain/model/mlp.js';
import { initTensorflow, type Tf } from '../../../src/domain/model/tf-backend.js';

let tf: Tf;
before(async () => {
  tf = (await initTensorflow()).tf;
});

test('relu MLP [8, 4] with dropout: layer stack, shapes and parameter count', () => {
  const model = buildMlp(tf, { hiddenLayers: [8, 4], activation: 'relu', dropout: 0.2 }, { inputSize: 5 });
  try {
    assert.deepEqual(
      model.layers.map((l) => l.getClassName()),
      ['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense'],
    );
    assert.deepEqual(model.inputs[0]!.shape, [null, 5]);
    assert.deepEqual(model.outputs[0]!.shape, [null, 3]);
    // (5·8 + 8) + (8·4 + 4) + (4·3 + 3) = 48 + 36 + 15
    assert.equal(model.countParams(), 99);
    assert.equal(model.layers[0]!.getConfig().activation, 'relu');
    assert.equal(model.layers[4]!.getConfig().activation, 'softmax');
    assert.equal(model.layers[1]!.getConfig().rate, 0.2);
  } finally {
    model.dispose();
  }
});

test('leaky_relu uses a LeakyReLU layer after a linear Dense; dropout 0 adds no Dropout', () => {
  const model = buildMlp(tf, { hiddenLayers: [6], activation: 'leaky_relu', dropout: 0 }, { inputSize: 2 });
  try {
    assert.deepEqual(
      model.layers.map((l) => l.getClassName()),
      ['Dense', 'LeakyReLU', 'Dense'],
    );
    assert.equal(model.layers[0]!.getConfig().activation, 'linear');
    // LeakyReLU(α = 0.01) on a known input: [-2, 3] -> [-0.02, 3]
    const out = tf.tidy(() => (model.layers[1]!.apply(tf.tensor2d([-2, 3], [1, 2])) as ReturnType<typeof tf.tensor2d>).dataSync());
    assert.ok(Math.abs(out[0]! + 0.02) < 1e-7 && out[1] === 3);
  } finally {
    model.dispose();
  }
});

test('tanh and sigmoid are passed to the hidden layers; no hidden layer = softmax regression', () => {
  for (const activation of ['tanh', 'sigmoid'] as const) {
    const model = buildMlp(tf, { hiddenLayers: [3], activation, dropout: 0 }, { inputSize: 4 });
    assert.equal(model.layers[0]!.getConfig().activation, activation);
    model.dispose();
  }
  const flat = buildMlp(tf, { hiddenLayers: [], activation: 'relu', dropout: 0.5 }, { inputSize: 5 });
  assert.equal(flat.layers.length, 1);
  assert.equal(flat.countParams(), 5 * 3 + 3);
  flat.dispose();
});

test('outputs are probabilities: each row is non-negative and sums to 1', () => {
  const model = buildMlp(tf, { hiddenLayers: [4], activation: 'relu', dropout: 0.3 }, { inputSize: 3, seed: 1 });
  const probs = tf.tidy(() => (model.predict(tf.randomNormal([10, 3])) as ReturnType<typeof tf.tensor2d>).arraySync());
  model.dispose();
  for (const row of probs) {
    assert.ok(row.every((p) => p >= 0));
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
});

test('the same seed gives identical initial weights; different seeds differ', () => {
  const spec = { hiddenLayers: [4], activation: 'relu', dropout: 0 } as const;
  const weights = (seed: number) => {
    const m = buildMlp(tf, spec, { inputSize: 3, seed });
    const w = m.getWeights().map((t) => Array.from(t.dataSync()));
    m.dispose();
    return w;
  };
  assert.deepEqual(weights(5), weights(5));
  assert.notDeepEqual(weights(5), weights(6));
});

test('invalid specs are rejected with MlpSpecError', () => {
  const bad = [
    [{ hiddenLayers: [0], activation: 'relu', dropout: 0 }, 3],
    [{ hiddenLayers: [2.5], activation: 'relu', dropout: 0 }, 3],
    [{ hiddenLayers: [4], activation: 'swish', dropout: 0 }, 3],
    [{ hiddenLayers: [4], activation: 'relu', dropout: 1 }, 3],
    [{ hiddenLayers: [4], activation: 'relu', dropout: -0.1 }, 3],
    [{ hiddenLayers: [4], activation: 'relu', dropout: 0 }, 0],
  ] as const;
  for (const [spec, inputSize] of bad) {
    assert.throws(() => buildMlp(tf, spec as never, { inputSize }), MlpSpecError);
  }
});
