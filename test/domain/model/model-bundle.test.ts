import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type * as tfjs from '@tensorflow/tfjs';
import { buildMlp } from '../../../src/domain/model/mlp.js';
import { ModelBundleError } from '../../../src/domain/model/model-bundle-error.js';
import {
  loadModelBundle,
  resolveLatestBundle,
  saveModelBundle,
  type SaveModelBundleOptions,
} from '../../../src/domain/model/model-bundle.js';
import { fitZScore } from '../../../src/domain/model/feature-normalization.js';
import { predictProbabilities } from '../../../src/domain/model/predict-probabilities.js';
import { initTensorflow, type Tf } from '../../../src/domain/model/tf-backend.js';
import { trainModel } from '../../../src/domain/training/train-model.js';
import { TrainingCancelledError } from '../../../src/domain/training/training-cancelled-error.js';
import { learnableData } from '../training/synthetic-data.js';

let tf: Tf;
let root: string;
const models: tfjs.LayersModel[] = [];
before(async () => {
  tf = (await initTensorflow()).tf;
  root = await mkdtemp(join(tmpdir(), 'ktrdr-bundle-'));
});
after(async () => {
  models.forEach((m) => m.dispose());
  await rm(root, { recursive: true, force: true });
});

const names = ['1h_rsi_low', '1h_rsi_high', '4h_macd_pos'];
function newModel(seed: number): tfjs.LayersModel {
  const m = buildMlp(tf, { hiddenLayers: [5, 4], activation: 'leaky_relu', dropout: 0.2 }, { inputSize: 3, seed });
  models.push(m);
  return m;
}
function options(modelsDir: string, model: tfjs.LayersModel, extra: Partial<SaveModelBundleOptions> = {}): SaveModelBundleOptions {
  const data = learnableData(50, 3);
  return {
    modelsDir,
    strategyName: 'rsi_mlp',
    timeframe: '1h',
    model,
    strategyConfig: { name: 'rsi_mlp', model: { type: 'mlp' } },
    featureNames: names,
    normalization: fitZScore(data.features, 3),
    metrics: { history: [{ epoch: 1, train_loss: 1 }] },
    metadata: { symbols: ['EURUSD'], timeframes: ['1h', '4h'], data_hash: 'sha256:abc', backend: 'wasm' },
    ...extra,
  };
}
const pointerOf = async (dir: string) => JSON.parse(await readFile(join(dir, 'rsi_mlp', '1h_latest.json'), 'utf8'));

test('save → load gives identical predictions and all stored parts', async () => {
  const dir = await mkdtemp(join(root, 'a-'));
  const model = newModel(1);
  const saved = await saveModelBundle(options(dir, model));
  assert.equal(saved.version, 1);
  assert.equal(saved.path, join(dir, 'rsi_mlp', '1h_v1'));
  assert.deepEqual((await readdir(saved.path)).sort(), [
    'config.json', 'features.json', 'metadata.json', 'metrics.json', 'model.json', 'weights.bin',
  ]);
  const bundle = await loadModelBundle(tf, saved.path);
  models.push(bundle.model);
  assert.deepEqual(bundle.featureNames, names);
  assert.deepEqual(bundle.config, { name: 'rsi_mlp', model: { type: 'mlp' } });
  assert.deepEqual(bundle.metrics, { history: [{ epoch: 1, train_loss: 1 }] });
  assert.equal(bundle.metadata.version, 1);
  assert.equal(bundle.metadata.strategy_name, 'rsi_mlp');
  assert.equal(bundle.metadata.backend, 'wasm');
  assert.deepEqual(bundle.metadata.symbols, ['EURUSD']);
  assert.ok(!Number.isNaN(Date.parse(bundle.metadata.created_at)));

  const data = learnableData(500, 3, 99);
  const normalization = options(dir, model).normalization;
  const before = predictProbabilities(tf, model, data.features, 500, 3, { normalization });
  const afterLoad = predictProbabilities(tf, bundle, data.features, 500, 3);
  assert.deepEqual(afterLoad, before);
  // The stored weights are exactly the original ones.
  const w1 = model.getWeights().map((t) => Array.from(t.dataSync()));
  const w2 = bundle.model.getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(w2, w1);
});

test('versions increase and _latest follows; the pointer path loads the newest', async () => {
  const dir = await mkdtemp(join(root, 'b-'));
  assert.equal(await resolveLatestBundle(dir, 'rsi_mlp', '1h'), undefined);
  const v1 = await saveModelBundle(options(dir, newModel(1)));
  const v2 = await saveModelBundle(options(dir, newModel(2)));
  assert.deepEqual([v1.version, v2.version], [1, 2]);
  assert.ok(v2.latestUpdated);
  assert.equal(await resolveLatestBundle(dir, 'rsi_mlp', '1h'), v2.path);
  assert.equal((await pointerOf(dir)).dir, '1h_v2');
  for (const p of [join(dir, 'rsi_mlp', '1h_latest'), join(dir, 'rsi_mlp', '1h_latest.json')]) {
    const b = await loadModelBundle(tf, p);
    models.push(b.model);
    assert.equal(b.version, 2);
    assert.equal(b.path, v2.path);
  }
  // Another timeframe of the same strategy has its own versions.
  const other = await saveModelBundle({ ...options(dir, newModel(3)), timeframe: '4h' });
  assert.equal(other.version, 1);
  assert.equal(await resolveLatestBundle(dir, 'rsi_mlp', '1h'), v2.path);
});

test('concurrent saves get distinct versions and _latest ends on the newest', async () => {
  const dir = await mkdtemp(join(root, 'c-'));
  const saved = await Promise.all([1, 2, 3, 4].map((s) => saveModelBundle(options(dir, newModel(s)))));
  assert.deepEqual(saved.map((s) => s.version).sort(), [1, 2, 3, 4]);
  assert.equal((await pointerOf(dir)).version, 4);
  assert.deepEqual((await readdir(join(dir, 'rsi_mlp'))).sort(), ['1h_latest.json', '1h_v1', '1h_v2', '1h_v3', '1h_v4']);
});

test('a save failing midway publishes nothing and leaves _latest alone', async () => {
  const dir = await mkdtemp(join(root, 'd-'));
  const v1 = await saveModelBundle(options(dir, newModel(1)));
  const circular: Record<string, unknown> = {};
  circular.self = circular; // JSON.stringify throws after model.json/weights.bin are written
  await assert.rejects(saveModelBundle(options(dir, newModel(2), { metrics: circular })), (err: unknown) => {
    assert.ok(err instanceof ModelBundleError);
    assert.equal(err.code, 'MODEL_BUNDLE_WRITE_FAILED');
    return true;
  });
  assert.deepEqual((await readdir(join(dir, 'rsi_mlp'))).sort(), ['1h_latest.json', '1h_v1']);
  assert.equal(await resolveLatestBundle(dir, 'rsi_mlp', '1h'), v1.path);
});

test('an aborted signal or a cancelled training run saves nothing', async () => {
  const dir = await mkdtemp(join(root, 'e-'));
  const v1 = await saveModelBundle(options(dir, newModel(1)));
  const controller = new AbortController();
  controller.abort(new Error('operation cancelled'));
  await assert.rejects(saveModelBundle(options(dir, newModel(2), { signal: controller.signal })), /operation cancelled/);

  // The usual flow: train → save. Cancelled training never reaches the save.
  const data = learnableData(600, 3);
  const cancel = new AbortController();
  const run = async () => {
    const result = await trainModel(
      tf,
      {
        data: { ...data, split: { train: 0.7, validation: 0.15, test: 0.15 } },
        model: { hiddenLayers: [4], activation: 'relu', dropout: 0 },
        training: { epochs: 5, batchSize: 16, learningRate: 0.01 },
      },
      { signal: cancel.signal, onEpochEnd: () => cancel.abort() },
    );
    await saveModelBundle(options(dir, result.model));
  };
  await assert.rejects(run(), TrainingCancelledError);
  assert.deepEqual((await readdir(join(dir, 'rsi_mlp'))).sort(), ['1h_latest.json', '1h_v1']);
  assert.equal(await resolveLatestBundle(dir, 'rsi_mlp', '1h'), v1.path);
});

test('missing or corrupt files give a clear ModelBundleError', async () => {
  const dir = await mkdtemp(join(root, 'f-'));
  const expectCode = async (path: string, code: string, pattern: RegExp) =>
    assert.rejects(loadModelBundle(tf, path), (err: unknown) => {
      assert.ok(err instanceof ModelBundleError, String(err));
      assert.equal(err.code, code);
      assert.match(err.message, pattern);
      return true;
    });
  await expectCode(join(dir, 'nope'), 'MODEL_BUNDLE_NOT_FOUND', /no model bundle/);

  const a = await saveModelBundle(options(dir, newModel(1)));
  await truncate(join(a.path, 'weights.bin'), 10);
  await expectCode(a.path, 'MODEL_BUNDLE_INVALID', /weights .* 10 bytes/);

  const b = await saveModelBundle(options(dir, newModel(2)));
  await rm(join(b.path, 'features.json'));
  await expectCode(b.path, 'MODEL_BUNDLE_INVALID', /features\.json/);

  const c = await saveModelBundle(options(dir, newModel(3)));
  await writeFile(join(c.path, 'metadata.json'), '{"version": 3,');
  await expectCode(c.path, 'MODEL_BUNDLE_INVALID', /corrupt JSON .*metadata\.json/);

  const d = await saveModelBundle(options(dir, newModel(4)));
  await writeFile(join(d.path, 'features.json'), JSON.stringify({ feature_names: ['x'], normalization: null }));
  await expectCode(d.path, 'MODEL_BUNDLE_INVALID', /input width/);

  await writeFile(join(dir, 'rsi_mlp', '1h_latest.json'), 'garbage');
  await assert.rejects(resolveLatestBundle(dir, 'rsi_mlp', '1h'), ModelBundleError);
  await writeFile(join(dir, 'rsi_mlp', '1h_latest.json'), JSON.stringify({ version: 9, dir: '../../etc' }));
  await expectCode(join(dir, 'rsi_mlp', '1h_latest'), 'MODEL_BUNDLE_INVALID', /invalid pointer/);
});

test('unsafe names and mismatched feature lists are refused before writing', async () => {
  const dir = await mkdtemp(join(root, 'g-'));
  await assert.rejects(saveModelBundle(options(dir, newModel(1), { strategyName: '../evil' })), RangeError);
  await assert.rejects(saveModelBundle(options(dir, newModel(1), { timeframe: '1h/x' })), RangeError);
  await assert.rejects(saveModelBundle(options(dir, newModel(1), { featureNames: ['a', 'b'] })), RangeError);
  assert.deepEqual(await readdir(dir), []);
});
