import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../src/cli/run-cli.js';
import { FakeBackend } from './helpers/fake-backend.js';
import { fakeIo } from './helpers/fake-io.js';

test('ktrdr backtest ./file.yaml uploads the file as strategy_yaml, with the trading overrides', async (t) => {
  const b = new FakeBackend();
  await b.start();
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-upload-'));
  t.after(async () => {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  b.startReply = [200, { success: true, operation_id: 'op_b1', status: 'started', worker_id: 'backtest-1' }];
  const file = join(dir, 'my_strategy.yaml');
  writeFileSync(file, 'name: my_strategy\n# the rest of a strategy\n');
  const io = fakeIo({ env: { KTRDR_API_URL: b.url } });
  const code = await runCli(
    ['backtest', file, '--start-date', '2024-01-01', '--end-date', '2024-06-30', '--allow-short', '--on-opposite-signal', 'reverse',
      '--position-size', '0.5', '--min-signal-separation', '4h', '--fee', '1.5'],
    io,
  );
  assert.equal(code, 0, io.stderr.text);
  assert.deepEqual(b.requestsTo('POST', '/api/v1/backtests/start')[0]?.body, {
    strategy_yaml: 'name: my_strategy\n# the rest of a strategy\n',
    start_date: '2024-01-01',
    end_date: '2024-06-30',
    fee_per_trade: 1.5,
    allow_short: true,
    on_opposite_signal: 'reverse',
    position_size: 0.5,
    min_signal_separation: '4h',
  });
  const bars = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['backtest', 'rsi_macd_1h', '--start-date', '2024-01-01', '--end-date', '2024-06-30', '--min-signal-separation', '6'], bars), 0);
  const body = b.requestsTo('POST', '/api/v1/backtests/start')[1]?.body as Record<string, unknown>;
  assert.equal(body['strategy_name'], 'rsi_macd_1h');
  assert.equal(body['min_signal_separation'], 6);

  const missing = fakeIo({ env: { KTRDR_API_URL: b.url } });
  assert.equal(await runCli(['backtest', join(dir, 'nope.yaml'), '--start-date', '2024-01-01', '--end-date', '2024-06-30'], missing), 2);
  assert.match(missing.stderr.text, /strategy file '.*nope\.yaml' not found/);
});
