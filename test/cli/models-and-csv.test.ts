import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from '../../src/cli/run-cli.js';
import { FakeBackend, makeOperation } from './helpers/fake-backend.js';
import { fakeIo } from './helpers/fake-io.js';

async function setup(t: TestContext) {
  const b = new FakeBackend();
  await b.start();
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-models-'));
  t.after(async () => {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { b, dir, io: () => fakeIo({ env: { KTRDR_API_URL: b.url, KTRDR_MODELS_DIR: join(dir, 'models') } }) };
}

function writeBundle(modelsDir: string, version: number, accuracy: number) {
  const path = join(modelsDir, 'rsi_macd_1h', `1h_v${version}`);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'metadata.json'), JSON.stringify({
    format: 'ktrdr-model-bundle/1', strategy_name: 'rsi_macd_1h', timeframe: '1h', version, created_at: `2025-01-0${version}T10:00:00.000Z`,
    feature_count: 9, symbols: ['EURUSD'], timeframes: ['1h'], start_date: '2019-01-01', end_date: '2023-12-31', backend: 'wasm',
  }));
  writeFileSync(join(path, 'metrics.json'), JSON.stringify({
    seed: 42, epochs_run: 10, best_epoch: 7,
    test: { accuracy, balanced_accuracy: 0.41, cohen_kappa: 0.08, macro_f1: 0.39, train_majority: { class: 'HOLD', accuracy: 0.6 } },
  }));
  return path;
}

test('models list and show: versions, training window, test metrics and the backtests that used the model', async (t) => {
  const { b, dir, io } = await setup(t);
  const modelsDir = join(dir, 'models');
  writeBundle(modelsDir, 1, 0.5);
  const v2 = writeBundle(modelsDir, 2, 0.62);
  writeFileSync(join(modelsDir, 'rsi_macd_1h', '1h_latest.json'), JSON.stringify({ version: 2, dir: '1h_v2', updated_at: 'x' }));
  b.addOperation([makeOperation({ operation_id: 'op_bt_1', status: 'completed', metadata: { symbol: 'EURUSD', timeframe: '1h', start_date: '2024-01-01', end_date: '2024-06-30', parameters: { strategy_name: 'rsi_macd_1h', model_path: v2 } } })]);
  b.addOperation([makeOperation({ operation_id: 'op_bt_2', status: 'completed', metadata: { symbol: 'EURUSD', timeframe: '1h', start_date: null, end_date: null, parameters: { model_path: '/elsewhere/x/1h_v9' } } })]);

  const listing = io();
  assert.equal(await runCli(['models', 'list'], listing), 0, listing.stderr.text);
  assert.match(listing.stdout.text, /rsi_macd_1h\/1h_v1 +EURUSD +2019-01-01 → 2023-12-31 +50\.00%/);
  assert.match(listing.stdout.text, /rsi_macd_1h\/1h_v2 \* +EURUSD/);

  const show = io();
  assert.equal(await runCli(['models', 'show', 'rsi_macd_1h'], show), 0, show.stderr.text);
  assert.match(show.stdout.text, /Model: +rsi_macd_1h\/1h_v2 \(latest\)/);
  assert.match(show.stdout.text, /Trained on: +2019-01-01 → 2023-12-31/);
  assert.match(show.stdout.text, /Balanced accuracy: +41\.00% \(chance 33\.33%\)/);
  assert.match(show.stdout.text, /Train-majority baseline: +always HOLD: 60\.00%/);
  assert.match(show.stdout.text, /Backtests using it \(1\):/);
  assert.match(show.stdout.text, /op_bt_1/);
  assert.doesNotMatch(show.stdout.text, /op_bt_2/);

  const missing = io();
  assert.equal(await runCli(['models', 'show', 'nope/1h_v1'], missing), 2);
  assert.match(missing.stderr.text, /no model 'nope\/1h_v1'/);
});

test('ops results ID --csv DIR writes trades.csv and equity.csv', async (t) => {
  const { b, dir, io } = await setup(t);
  const trade = { trade_id: 1, side: 'long', entry_time: '2024-01-02T00:00:00.000Z', entry_price: 1.1, exit_time: '2024-01-05T00:00:00.000Z', exit_price: 1.2, quantity: 10, gross_pnl: 1, commission: 0.01, net_pnl: 0.99, holding_period_hours: 72, mfe: 1.5, mae: 0.2, exit_reason: 'signal' };
  b.addOperation([makeOperation({
    operation_id: 'op_bt_csv', status: 'completed',
    result_summary: { metrics: {}, trades: [trade], equity_curve: { time: ['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z'], equity: [100, 101.5], benchmark_equity: [100, 99] } },
  })]);
  const out = join(dir, 'csv');
  const cli = io();
  assert.equal(await runCli(['ops', 'results', 'op_bt_csv', '--csv', out], cli), 0, cli.stderr.text);
  assert.match(cli.stdout.text, /Wrote .*trades\.csv, .*equity\.csv/);
  const trades = readFileSync(join(out, 'trades.csv'), 'utf8').trim().split('\n');
  assert.equal(trades[0], 'trade_id,side,entry_time,entry_price,exit_time,exit_price,quantity,gross_pnl,commission,net_pnl,holding_period_hours,mfe,mae,exit_reason');
  assert.equal(trades[1], '1,long,2024-01-02T00:00:00.000Z,1.1,2024-01-05T00:00:00.000Z,1.2,10,1,0.01,0.99,72,1.5,0.2,signal');
  assert.equal(readFileSync(join(out, 'equity.csv'), 'utf8'), 'time,equity,benchmark_equity\n2024-01-01T00:00:00.000Z,100,100\n2024-01-02T00:00:00.000Z,101.5,99\n');
  const asked = b.requestsTo('GET', /\/results$/);
  assert.equal(asked.at(-1)?.query['equity'], 'full', '--csv writes every bar: it asks for the full curve');

  // Without --csv the backend's default (downsampled) curve is shown for what it is.
  b.addOperation([makeOperation({
    operation_id: 'op_bt_ds', status: 'completed',
    result_summary: { metrics: { total_return: 1, total_return_pct: 0.01, total_trades: 0 }, trades: [], equity_curve: { time: ['2024-01-01T00:00:00.000Z', '2024-01-05T00:00:00.000Z'], equity: [100, 101], bars: 97, downsampled: true } },
  })]);
  const human = io();
  assert.equal(await runCli(['ops', 'results', 'op_bt_ds'], human), 0, human.stderr.text);
  assert.match(human.stdout.text, /2 equity points \(of 97 bars; --full-equity for all\)/);
  assert.equal(b.requestsTo('GET', /op_bt_ds\/results$/).at(-1)?.query['equity'], undefined);
  const fullIo = io();
  assert.equal(await runCli(['ops', 'results', 'op_bt_ds', '--full-equity'], fullIo), 0, fullIo.stderr.text);
  assert.equal(b.requestsTo('GET', /op_bt_ds\/results$/).at(-1)?.query['equity'], 'full');
});
