import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { initTensorflow, TensorflowBackendError } from '../../../src/domain/model/tf-backend.js';

const isInstalled = (name: string) => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
};

test("'auto' activates the first backend that loads and never falls to cpu here", async () => {
  const { tf, backend, attempts } = await initTensorflow();
  assert.ok(['node-gpu', 'node', 'wasm'].includes(backend), backend);
  assert.equal(attempts.at(-1)?.backend, backend);
  assert.equal(attempts.at(-1)?.error, undefined);
  for (const a of attempts.slice(0, -1)) assert.equal(typeof a.error, 'string');
  if (!isInstalled('@tensorflow/tfjs-node-gpu') && !isInstalled('@tensorflow/tfjs-node')) {
    assert.equal(backend, 'wasm');
    assert.deepEqual(
      attempts.map((a) => a.backend),
      ['node-gpu', 'node', 'wasm'],
    );
  }
});

test('wasm backend really computes (matMul checked by hand)', async () => {
  const { tf, backend } = await initTensorflow('wasm');
  assert.equal(backend, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  // [[1,2],[3,4]] · [[5],[6]] = [[17],[39]]
  const out = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6], [2, 1])).dataSync());
  assert.deepEqual(Array.from(out), [17, 39]);
});

test('cpu can be chosen explicitly, and wasm re-activated afterwards in the same thread', async () => {
  const cpu = await initTensorflow('cpu');
  assert.equal(cpu.tf.getBackend(), 'cpu');
  const wasm = await initTensorflow('wasm');
  assert.equal(wasm.tf.getBackend(), 'wasm');
});

test('a named backend that is not installed fails with TensorflowBackendError', { skip: isInstalled('@tensorflow/tfjs-node') }, async () => {
  await assert.rejects(initTensorflow('node'), (err: unknown) => {
    assert.ok(err instanceof TensorflowBackendError);
    assert.equal(err.code, 'TF_BACKEND_UNAVAILABLE');
    assert.equal(err.attempts.length, 1);
    return true;
  });
});

test('initialises and trains inside a worker thread', async () => {
  // Under tsx the sources are .ts and the worker must register tsx itself; compiled, they are .js.
  const isTs = import.meta.url.endsWith('.ts');
  const ext = isTs ? '.ts' : '.js';
  const backendUrl = new URL(`../../../src/domain/model/tf-backend${ext}`, import.meta.url).href;
  const trainUrl = new URL(`../../../src/domain/training/train-model${ext}`, import.meta.url).href;
  const tsxUrl = isTs ? import.meta.resolve('tsx/esm/api') : '';
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      if (workerData.tsxUrl) (await import(workerData.tsxUrl)).register();
      const { initTensorflow } = await import(workerData.backendUrl);
      const { trainModel } = await import(workerData.trainUrl);
      const { tf, backend } = await initTensorflow();
      const rows = 600, cols = 3;
      const features = new Float32Array(rows * cols);
      const labels = new Uint8Array(rows);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) features[r * cols + j] = ((r * 7919 + j * 104729) % 1000) / 1000;
        const v = features[r * cols];
        labels[r] = v > 0.66 ? 0 : v < 0.33 ? 2 : 1;
      }
      const result = await trainModel(tf, {
        data: { features, rows, cols, labels, split: { train: 0.7, validation: 0.15, test: 0.15 } },
        model: { hiddenLayers: [8], activation: 'relu', dropout: 0 },
        training: { epochs: 2, batchSize: 32, learningRate: 0.01 },
      });
      result.model.dispose();
      parentPort.postMessage({ backend, epochs: result.metrics.epochs_run, tensors: tf.memory().numTensors });
    })().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
  `;
  const worker = new Worker(code, { eval: true, workerData: { backendUrl, trainUrl, tsxUrl } });
  try {
    const message = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.equal(message.error, undefined, String(message.error));
    assert.ok(['node-gpu', 'node', 'wasm'].includes(String(message.backend)));
    assert.equal(message.epochs, 2);
    assert.equal(message.tensors, 0);
  } finally {
    await worker.terminate();
  }
});
