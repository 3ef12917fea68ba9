/**
 * Models and data by reference, no shared mount: a backend and a training worker and a backtest
 * worker, each with its own models and data dirs (the workers' start empty). The training worker
 * fetches the CSV it lacks, trains, and uploads the bundle; the backtest worker fetches the model
 * and the CSV from the backend, verifies both hashes, and runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleDirSha256 } from '../../src/domain/model/bundle-archive.js';
import { repoRoot } from '../helpers/paths.js';
import { api, startBackend, startRealWorker, tempDir, waitForStatus, waitForWorkers, type Proc } from '../helpers/cluster.js';

const TOKEN = `models-e2e-${process.pid}`;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('train on one host, backtest on another: the model and the CSV are fetched from the backend and verified', async (t) => {
  const dir = tempDir();
  const d = (name: string) => {
    const p = join(dir.path, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const common = { KTRDR_API_TOKEN: TOKEN, KTRDR_STRATEGIES_DIR: join(repoRoot, 'strategies') };
  const backend = await startBackend({
    dbPath: join(dir.path, 'ktrdr.db'),
    env: { ...common, KTRDR_DATA_DIR: join(repoRoot, 'data'), KTRDR_MODELS_DIR: d('backend-models') },
  });
  const trainer = await startRealWorker(backend.url, 'training', `mt-${process.pid}`, { ...common, KTRDR_DATA_DIR: d('train-data'), KTRDR_MODELS_DIR: d('train-models') });
  const backtester = await startRealWorker(backend.url, 'backtesting', `mb-${process.pid}`, { ...common, KTRDR_DATA_DIR: d('bt-data'), KTRDR_MODELS_DIR: d('bt-models') });
  const procs: Proc[] = [trainer, backtester, backend];
  t.after(async () => {
    await Promise.all(procs.map((p) => p.crash()));
    dir.remove();
  });
  await waitForWorkers(backend.url, 2, { token: TOKEN });
  const yaml = readFileSync(join(repoRoot, 'strategies', 'rsi_macd_1h.yaml'), 'utf8').replace(/epochs: \d+/, 'epochs: 2');

  const training = await api(backend.url, '/api/v1/training/start', {
    method: 'POST',
    token: TOKEN,
    body: { strategy_yaml: yaml, start_date: '2023-01-01', end_date: '2023-06-30' },
  });
  assert.equal(training.status, 200, JSON.stringify(training.body));
  const trained = await waitForStatus(backend.url, training.body.operation_id, ['completed', 'failed'], 120_000, TOKEN);
  assert.equal(trained.status, 'completed', trained.error_message ?? '');
  const { model_path: modelPath, model_sha256: modelSha } = trained.result_summary as { model_path: string; model_sha256: string };
  assert.equal(modelPath, 'rsi_macd_1h/1h_v1', 'the backend numbered the version');
  assert.match(modelSha, /^[0-9a-f]{64}$/);
  assert.equal(trained.result_summary.model_upload_error, undefined);
  // Stored by the backend (version folder + _latest), and on the training host under the same name and bytes.
  assert.equal(await bundleDirSha256(join(dir.path, 'backend-models', 'rsi_macd_1h', '1h_v1')), modelSha);
  assert.equal(await bundleDirSha256(join(dir.path, 'train-models', 'rsi_macd_1h', '1h_v1')), modelSha);
  assert.equal(JSON.parse(readFileSync(join(dir.path, 'backend-models', 'rsi_macd_1h', '1h_latest.json'), 'utf8')).version, 1);
  assert.equal(statSync(join(dir.path, 'backend-models', 'rsi_macd_1h', '1h_v1')).mode & 0o777, 0o755);
  // The training host fetched the CSV it lacked.
  assert.equal(sha256(join(dir.path, 'train-data', 'EURUSD_1h.csv')), sha256(join(repoRoot, 'data', 'EURUSD_1h.csv')));

  const listed = await api(backend.url, '/api/v1/models', { token: TOKEN });
  assert.deepEqual(listed.body.data.map((m: { model_path: string }) => m.model_path), ['rsi_macd_1h/1h_v1']);

  assert.deepEqual(readdirSync(join(dir.path, 'bt-data')), [], 'the backtest host starts without data');
  const backtest = await api(backend.url, '/api/v1/backtests/start', {
    method: 'POST',
    token: TOKEN,
    body: { strategy_yaml: yaml, model_path: modelPath, start_date: '2023-07-01', end_date: '2023-09-30' },
  });
  assert.equal(backtest.status, 200, JSON.stringify(backtest.body));
  const ran = await waitForStatus(backend.url, backtest.body.operation_id, ['completed', 'failed'], 60_000, TOKEN);
  assert.equal(ran.status, 'completed', ran.error_message ?? '');
  assert.equal(ran.result_summary.model_path ?? ran.metadata.parameters.model_path, modelPath);
  assert.equal(await bundleDirSha256(join(dir.path, 'bt-models', 'rsi_macd_1h', '1h_v1')), modelSha, 'the model was fetched and verified');
  assert.equal(sha256(join(dir.path, 'bt-data', 'EURUSD_1h.csv')), sha256(join(repoRoot, 'data', 'EURUSD_1h.csv')), 'the CSV was fetched and verified');

  // Dates outside the data: the worker's validate hook says so, and the backend answers a 400.
  const outside = await api(backend.url, '/api/v1/backtests/start', {
    method: 'POST',
    token: TOKEN,
    body: { strategy_yaml: yaml, model_path: modelPath, start_date: '2031-01-01', end_date: '2031-03-01' },
  });
  assert.equal(outside.status, 400, JSON.stringify(outside.body));
  assert.match(outside.body.detail, /start_date/);
  // An unknown model is a 400 from the backend's store, before any worker.
  const unknown = await api(backend.url, '/api/v1/backtests/start', {
    method: 'POST',
    token: TOKEN,
    body: { strategy_yaml: yaml, model_path: 'rsi_macd_1h/1h_v9', start_date: '2023-07-01', end_date: '2023-09-30' },
  });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.detail, /model_path/);
});
