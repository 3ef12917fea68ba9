import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { api, CLI, freePort, tempDir, waitFor, waitForStatus } from '../helpers/cluster.js';

test('`ktrdr up` with a CPU and a GPU training worker: GPU first, CPU while it is busy; both models backtest', async (t) => {
  const dir = tempDir();
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [CLI, 'up', '--port', String(port), '--backtest-workers', '1', '--training-workers', '2', '--gpu-workers', '1'],
    {
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        KTRDR_DB_PATH: join(dir.path, 'ktrdr.db'),
        KTRDR_MODELS_DIR: join(dir.path, 'models'),
        HEALTH_CHECK_INTERVAL_SECONDS: '0.5',
      },
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    dir.remove();
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('cluster up', () => out.includes('Ctrl+C stops everything') || undefined, { timeoutMs: 60_000 });
  assert.match(out, /backtesting-1\s+http:\/\/127\.0\.0\.1:\d+/);
  const workers = (await api(base, '/api/v1/workers')).body as { worker_id: string; capabilities: { gpu: boolean } }[];
  assert.equal(workers.length, 3);

  const body = { strategy_name: 'rsi_macd_1h', start_date: '2022-01-01', end_date: '2023-12-31' };
  const first = await api(base, '/api/v1/training/start', { method: 'POST', body });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.worker_id, 'training-1-gpu', 'GPU worker first');
  const second = await api(base, '/api/v1/trainings/start', { method: 'POST', body });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.equal(second.body.worker_id, 'training-2', 'CPU worker while the GPU one is busy');
  const requireGpu = await api(base, '/api/v1/training/start', { method: 'POST', body: { ...body, require_gpu: true } });
  assert.equal(requireGpu.status, 200, JSON.stringify(requireGpu.body));
  assert.equal(requireGpu.body.status, 'queued', 'require_gpu with the GPU worker busy waits for it, never runs on CPU');

  const models: string[] = [];
  for (const id of [first.body.operation_id, second.body.operation_id]) {
    const op = await waitForStatus(base, id, ['completed', 'failed'], 120_000);
    assert.equal(op.status, 'completed', op.error_message);
    assert.match(op.result_summary.model_path, /rsi_macd_1h[/\\]1h_v\d+$/);
    assert.ok(op.result_summary.test_accuracy > 0);
    const m = (await api(base, `/api/v1/operations/${id}/metrics?cursor=0`)).body.data.metrics;
    assert.equal(m.length, op.result_summary.epochs_trained, 'one metric per epoch');
    assert.deepEqual(Object.keys(m[0]).sort(), ['duration_s', 'epoch', 'learning_rate', 'train_accuracy', 'train_loss', 'val_accuracy', 'val_loss']);
    models.push(op.result_summary.model_path);
  }
  const gpuOnly = await waitForStatus(base, requireGpu.body.operation_id, ['completed', 'failed'], 120_000);
  assert.equal(gpuOnly.worker_id, first.body.worker_id, 'the queued require_gpu training ran on the GPU worker once it was free');
  for (const model_path of models) {
    const bt = await api(base, '/api/v1/backtests/start', {
      method: 'POST',
      body: { strategy_name: 'rsi_macd_1h', model_path, start_date: '2024-01-01', end_date: '2024-06-30' },
    });
    assert.equal(bt.status, 200, JSON.stringify(bt.body));
    const op = await waitForStatus(base, bt.body.operation_id, ['completed', 'failed'], 60_000);
    assert.equal(op.status, 'completed', op.error_message);
    assert.equal(op.result_summary.model_path, model_path);
    assert.ok(Number.isFinite(op.result_summary.metrics.sharpe_ratio));
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

/** Starts `ktrdr up` with its logs in a temp dir; collects stdout+stderr. */
function up(t: { after(fn: () => Promise<void>): void }, args: string[], env: Record<string, string> = {}) {
  const dir = tempDir();
  const child = spawn(process.execPath, [CLI, 'up', '--log-dir', join(dir.path, 'logs'), ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', KTRDR_DB_PATH: join(dir.path, 'ktrdr.db'), KTRDR_MODELS_DIR: join(dir.path, 'models'), ...env },
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const io = { out: '', err: '' };
  child.stdout.on('data', (d: Buffer) => (io.out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (io.err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    dir.remove();
  });
  return { child, io, exited, dir };
}

test('`ktrdr up` names a worker that crashed at start-up and shows the end of its log', async (t) => {
  const port = await freePort();
  // WORKER_HEALTH_SILENCE_SECONDS is read by workers only: the backend starts, the worker dies.
  const { io, exited, dir } = up(t, ['--port', String(port), '--backtest-workers', '1', '--training-workers', '0'], { WORKER_HEALTH_SILENCE_SECONDS: 'nope' });
  assert.equal(await exited, 1);
  assert.match(io.err, /^error: backtesting-1 exited with code 1 during start-up; its log is .*backtesting-1\.log, which ends with:$/m);
  assert.ok(io.err.includes(join(dir.path, 'logs', 'backtesting-1.log')), io.err);
  assert.match(io.err, /WORKER_HEALTH_SILENCE_SECONDS=nope: must be a number/);
  assert.doesNotMatch(io.err, /timed out/);
});

test('`ktrdr up` says when a worker dies, restarts it, and its running operation fails within seconds', async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const { child, io, exited } = up(t, ['--port', String(port), '--backtest-workers', '0', '--training-workers', '1']);
  await waitFor('cluster up', () => io.out.includes('Ctrl+C stops everything') || undefined, { timeoutMs: 60_000 });
  const pid = Number(/training-1\s+\S+\s+pid (\d+)/.exec(io.out)?.[1]);
  assert.ok(pid > 0, io.out);

  const started = await api(base, '/api/v1/training/start', { method: 'POST', body: { strategy_name: 'rsi_macd_1h', start_date: '2019-01-01', end_date: '2023-12-31' } });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  await waitForStatus(base, started.body.operation_id, ['running'], 30_000);
  process.kill(pid, 'SIGKILL');

  await waitFor('the exit line', () => /training-1 exited with signal SIGKILL; restarting it/.test(io.out) || undefined, { timeoutMs: 10_000 });
  await waitFor('the restart line', () => /training-1 restarted, pid \d+/.test(io.out) || undefined, { timeoutMs: 10_000 });
  const newPid = Number(/training-1 restarted, pid (\d+)/.exec(io.out)?.[1]);
  assert.notEqual(newPid, pid);
  // Local timings: the restarted worker re-registers idle and the backend fails the lost operation;
  // with production timings it would read `running` for minutes.
  const op = await waitForStatus(base, started.body.operation_id, ['failed', 'completed'], 30_000);
  assert.equal(op.status, 'failed');
  assert.match(op.error_message, /training-1/);
  await waitFor('training-1 available again', async () => {
    const w = (await api(base, '/api/v1/workers/training-1')).body;
    return w?.status === 'available' || undefined;
  }, { timeoutMs: 20_000 });

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('`ktrdr backend`, `ktrdr worker` and `ktrdr up` on a busy port print one clear line, not EADDRINUSE', async (t) => {
  const port = await freePort();
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(port, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => holder.close(() => r())));
  const dir = tempDir();
  t.after(() => dir.remove());
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const env = { ...process.env, KTRDR_DB_PATH: join(dir.path, 'ktrdr.db'), KTRDR_API_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'warn' };
      const child = execFile(process.execPath, [CLI, ...args], { env, timeout: 30_000 }, (_err, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
    });
  const cases: Array<[string[], RegExp]> = [
    [['backend', '--port', String(port), '--host', '127.0.0.1'], /another backend running\?\): pick another with --port \(or KTRDR_API_PORT\)/],
    [['worker', 'backtesting', '--port', String(port)], /another worker running\?\): pick another with --port \(or WORKER_PORT\)/],
    [['up', '--port', String(port), '--log-dir', join(dir.path, 'logs')], /another backend running\?\): pick another with --port/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await run(args);
    assert.equal(code, 1, `${args[0]}: ${stderr}`);
    assert.equal(stderr.trim().split('\n').length, 1, `${args[0]} printed one line: ${stderr}`);
    assert.match(stderr, new RegExp(`^error: port ${port} is already in use `));
    assert.match(stderr, pattern);
    assert.doesNotMatch(stderr, /EADDRINUSE/);
  }
});

test('`ktrdr up --host` binds the backend and every worker on that address and registers them there', async (t) => {
  // 127.0.0.2 is loopback (no token needed) but not 127.0.0.1: nothing may listen on the default address.
  const port = await freePort();
  const { io } = up(t, ['--host', '127.0.0.2', '--port', String(port), '--backtest-workers', '1', '--training-workers', '1']);
  await waitFor('cluster up', () => io.out.includes('Ctrl+C stops everything') || undefined, { timeoutMs: 60_000 });
  const base = `http://127.0.0.2:${port}`;
  assert.match(io.out, new RegExp(`API ${base.replace(/\./g, '\\.')} `));
  assert.doesNotMatch(io.out, /Another machine joins/, 'loopback: nothing to join');
  const workers = (await api(base, '/api/v1/workers')).body as { worker_id: string; endpoint_url: string }[];
  assert.deepEqual(workers.map((w) => w.worker_id).sort(), ['backtesting-1', 'training-1']);
  for (const w of workers) {
    assert.match(w.endpoint_url, /^http:\/\/127\.0\.0\.2:\d+$/);
    assert.equal((await fetch(`${w.endpoint_url}/health`)).status, 200);
    await assert.rejects(fetch(w.endpoint_url.replace('127.0.0.2', '127.0.0.1') + '/health'), 'the worker is not on 127.0.0.1');
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'the backend is not on 127.0.0.1');
});

test('`ktrdr up --host` beyond loopback wants a token or --insecure, with the backend\'s message, before starting anything', async (t) => {
  const dir = tempDir();
  t.after(() => dir.remove());
  const env: Record<string, string | undefined> = { ...process.env, KTRDR_DB_PATH: join(dir.path, 'ktrdr.db'), LOG_LEVEL: 'warn' };
  delete env['KTRDR_API_TOKEN'];
  delete env['KTRDR_API_TOKEN_FILE'];
  delete env['KTRDR_INSECURE'];
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    // 10.77.0.9 is never bound: the refusal comes first.
    const child = execFile(process.execPath, [CLI, 'up', '--host', '10.77.0.9', '--log-dir', join(dir.path, 'logs')], { env, timeout: 30_000 }, (_e, _o, err) =>
      resolve({ code: child.exitCode, stderr: err }),
    );
  });
  assert.equal(code, 1, stderr);
  assert.match(stderr, /^error: refusing to run the backend on 10\.77\.0\.9 without KTRDR_API_TOKEN: .*or pass --insecure \(KTRDR_INSECURE=true\)/);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.equal(existsSync(join(dir.path, 'logs', 'backend.log')), false, 'no process was started');
});
