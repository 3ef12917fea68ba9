import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, startBackend, startRealWorker, tempDir, waitForStatus, waitForWorkers } from '../helpers/cluster.js';

const run = promisify(execFile);

test('the ktrdr CLI against a real cluster: follow (non-TTY), list, status, cancel, workers; every --json parses', async (t) => {
  const dir = tempDir();
  const env = { KTRDR_MODELS_DIR: join(dir.path, 'models') };
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  const workers = [
    await startRealWorker(backend.url, 'backtesting', `cli-bt-${process.pid}`, env),
    await startRealWorker(backend.url, 'training', `cli-tr-${process.pid}`, env),
  ];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.crash()));
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 2);
  const ktrdr = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, KTRDR_API_URL: backend.url, LOG_LEVEL: 'warn' },
      timeout: 120_000,
    });
    return stdout;
  };

  const followed = await ktrdr('backtest', 'rsi_reversion_rules', '--start-date', '2024-01-01', '--end-date', '2024-06-30', '--follow');
  assert.match(followed, /\[\s*\d+(\.\d)?%\]/, 'plain progress lines when not a TTY');
  assert.doesNotMatch(followed, /\r|\u001b\[/, 'no cursor control codes when not a TTY');
  assert.match(followed, /Sharpe/i, 'metrics table at the end');

  const list = JSON.parse(await ktrdr('--json', 'operations', 'list'));
  assert.equal(list.success, true);
  assert.equal(list.total_count, 1);
  const id = list.data[0].operation_id as string;
  assert.match(await ktrdr('ops'), new RegExp(id));
  const status = JSON.parse(await ktrdr('--json', 'operations', 'status', id));
  assert.equal(status.data.status, 'completed');
  assert.ok(status.data.result_summary.metrics);

  const started = JSON.parse(await ktrdr('--json', 'train', 'rsi_macd_1h'));
  assert.equal(started.status, 'started');
  await waitForStatus(backend.url, started.operation_id, ['running']);
  const cancelled = JSON.parse(await ktrdr('--json', 'operations', 'cancel', started.operation_id, '--reason', 'cli test'));
  assert.equal(cancelled.data.status, 'cancelled');
  assert.equal(JSON.parse(await ktrdr('--json', 'operations', 'status', started.operation_id)).data.status, 'cancelled');

  const workersJson = JSON.parse(await ktrdr('--json', 'workers', 'list'));
  assert.equal(workersJson.length, 2);
  const table = await ktrdr('workers', 'list');
  assert.match(table, new RegExp(`cli-bt-${process.pid}`));
  assert.match(table, /training/);
  const health = JSON.parse(await ktrdr('--json', 'workers', 'health'));
  assert.equal(health.total_workers, 2);

  await assert.rejects(run(process.execPath, [CLI, 'operations', 'status', 'op_missing'], { env: { ...process.env, KTRDR_API_URL: backend.url } }), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /op_missing/);
    return true;
  });
});
