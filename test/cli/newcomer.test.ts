import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from '../../src/cli/run-cli.js';
import { FakeBackend, makeOperation, makeWorker } from './helpers/fake-backend.js';
import { fakeIo } from './helpers/fake-io.js';

// The small things a first-time user tripped over (issue 13).

async function backend(t: TestContext): Promise<FakeBackend> {
  const b = new FakeBackend();
  await b.start();
  t.after(() => b.close());
  b.startReply = [200, { success: true, operation_id: 'op_x', worker_id: 'w1', status: 'started' }];
  return b;
}

test('lowercase symbols are upper-cased: --symbol eurusd asks for EURUSD', async (t) => {
  const b = await backend(t);
  const io = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['backtest', 'rsi_reversion_rules', '--symbol', 'eurusd', '--start-date', '2024-01-01', '--end-date', '2024-02-01'], io), 0, io.stderr.text);
  assert.equal((b.requestsTo('POST', '/api/v1/backtests/start').at(-1)?.body as { symbol: string }).symbol, 'EURUSD');

  const train = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['train', 'rsi_macd_1h', '--symbols', 'eurusd,gbpUsd'], train), 0, train.stderr.text);
  assert.deepEqual((b.requestsTo('POST', '/api/v1/training/start').at(-1)?.body as { symbols: string[] }).symbols, ['EURUSD', 'GBPUSD']);

  const bad = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['backtest', 's', '--symbol', 'EUR/USD', '--start-date', '2024-01-01', '--end-date', '2024-02-01'], bad), 2);
  assert.match(bad.stderr.text, /'EUR\/USD' is not a symbol/);
});

test('train --force sends force (the backend refuses a rules-mode strategy without it)', async (t) => {
  const b = await backend(t);
  const io = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['train', 'rsi_reversion_rules', '--force'], io), 0, io.stderr.text);
  assert.equal((b.requestsTo('POST', '/api/v1/training/start').at(-1)?.body as { force?: boolean }).force, true);
  const plain = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['train', 'rsi_macd_1h'], plain), 0);
  assert.equal((b.requestsTo('POST', '/api/v1/training/start').at(-1)?.body as { force?: boolean }).force, undefined);
});

test('data import of a missing file says the file is not found, even when the target exists', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const gen = fakeIo();
  assert.equal(await runCli(['data', 'generate', '--data-dir', dir, '--symbols', 'EURUSD', '--start', '2024-01-01', '--end', '2024-01-07'], gen), 0, gen.stderr.text);
  const io = fakeIo();
  assert.equal(await runCli(['data', 'import', join(dir, 'nofile.csv'), '--symbol', 'eurusd', '--timeframe', '1h', '--data-dir', dir], io), 1);
  assert.match(io.stderr.text, /^error: '.*nofile\.csv' not found/);
  assert.doesNotMatch(io.stderr.text, /already exists/);
});

test('the --help quick start backtests the rules strategy, and trains the neural one before backtesting it', async () => {
  const io = fakeIo();
  assert.equal(await runCli(['--help'], io), 0);
  const quick = io.stdout.text.slice(io.stdout.text.indexOf('Quick start:'));
  const train = quick.indexOf('ktrdr train rsi_macd_1h');
  const neuralBacktest = quick.indexOf('ktrdr backtest rsi_macd_1h');
  assert.ok(train > 0 && neuralBacktest > train, quick);
  assert.ok(quick.indexOf('ktrdr backtest rsi_reversion_rules') > 0, quick);
});

test('ops status of a cancelled operation shows its reason as Reason, not Error', async (t) => {
  const b = await backend(t);
  b.addOperation([makeOperation({ operation_id: 'op_c', status: 'cancelled', error_message: 'cancelled from the ktrdr CLI (Ctrl+C)' })]);
  b.addOperation([makeOperation({ operation_id: 'op_f', status: 'failed', error_message: 'worker lost' })]);
  const io = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['ops', 'status', 'op_c'], io), 0, io.stderr.text);
  assert.match(io.stdout.text, /^Reason:\s+cancelled from the ktrdr CLI/m);
  assert.doesNotMatch(io.stdout.text, /Error/);
  const failed = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['ops', 'status', 'op_f'], failed), 0);
  assert.match(failed.stdout.text, /^Error:\s+worker lost/m);
});

test('on a narrow terminal `ops` fits its width and colours status words; piped, it prints whole rows without colour', async (t) => {
  const b = await backend(t);
  for (let i = 0; i < 3; i++) {
    b.addOperation([makeOperation({ operation_id: `op_backtesting_20250101_12000${i}_1a2b3c4${i}`, status: i === 0 ? 'failed' : 'completed', worker_id: `backtesting-worker-${i}` })]);
  }
  b.workers = [makeWorker({ worker_id: 'backtesting-1', status: 'busy', current_operation_id: 'op_backtesting_20250101_120000_1a2b3c40' })];
  const tty = fakeIo({ env: { KTRDR_API_URL: b.url }, isTTY: true, columns: 80 });
  assert.equal(await runCli(['ops'], tty), 0, tty.stderr.text);
  // eslint-disable-next-line no-control-regex
  const plain = tty.stdout.text.replace(/\x1b\[\d+m/g, '');
  for (const line of plain.trimEnd().split('\n')) assert.ok(line.length <= 80, `${line.length} > 80: ${line}`);
  assert.ok(tty.stdout.text.includes('\x1b[31mfailed\x1b[0m'));
  assert.ok(plain.includes('op_backtesting_20250101_120000_1a2b3c40'), 'whole ids while they fit');

  const noColor = fakeIo({ env: { KTRDR_API_URL: b.url, NO_COLOR: '1' }, isTTY: true, columns: 80 });
  assert.equal(await runCli(['workers'], noColor), 0);
  assert.ok(!noColor.stdout.text.includes('\x1b['));
  for (const line of noColor.stdout.text.trimEnd().split('\n')) assert.ok(line.length <= 80, line);

  const piped = fakeIo({ env: { KTRDR_API_URL: b.url }, columns: 80 });
  assert.equal(await runCli(['ops'], piped), 0);
  assert.ok(!piped.stdout.text.includes('\x1b['));
  assert.match(piped.stdout.text, /^ID\s+TYPE\s+STATUS\s+PROGRESS\s+WORKER\s+CREATED\s+SUBJECT$/m);
});
