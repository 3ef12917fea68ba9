import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { repoRoot } from '../helpers/paths.js';
import { api, CLI, startBackend, startRealWorker, tempDir, waitFor, waitForWorkers, type Proc } from '../helpers/cluster.js';

const run = promisify(execFile);
const TERMINAL = ['completed', 'failed', 'cancelled'];

async function cli(url: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, KTRDR_API_URL: url }, timeout: 60_000 });
}

async function sweepDone(url: string, sweepId: string, timeoutMs = 45_000): Promise<any> {
  return waitFor(`sweep ${sweepId} to end`, async () => {
    const r = await api(url, `/api/v1/sweeps/${sweepId}`);
    return TERMINAL.includes(r.body?.data?.sweep?.status) ? r.body.data : undefined;
  }, { timeoutMs, intervalMs: 200 });
}

/** Every table row against its child's stored operation: same grid point, same numbers as result_summary.metrics. */
async function assertTableMatchesChildren(url: string, sweepId: string, rows: Record<string, unknown>[], dims: string[]): Promise<Set<string>> {
  const workers = new Set<string>();
  for (const row of rows) {
    const op = (await api(url, `/api/v1/operations/${row['operation_id'] as string}`)).body.data;
    assert.equal(op.status, 'completed', `${op.operation_id}: ${op.error_message}`);
    assert.equal(op.metadata.parameters.sweep_id, sweepId);
    for (const d of dims) assert.equal(op.metadata.parameters.sweep_params[d], row[d], `${d} of ${op.operation_id}`);
    const m = op.result_summary.metrics;
    assert.equal(row['total_return'], m.total_return);
    assert.equal(row['total_return_pct'], m.total_return_pct);
    assert.equal(row['sharpe_ratio'], m.sharpe_ratio);
    assert.equal(row['max_drawdown_pct'], m.max_drawdown_pct);
    assert.equal(row['total_trades'], m.total_trades);
    assert.equal(row['status'], 'completed');
    workers.add(op.worker_id);
  }
  return workers;
}

test('sweeps on 2 real backtest workers: bad grids are 400s naming the field, a 3×3 grid and a 4-window walk-forward complete and their tables match the children, cancelling a sweep cancels its children', async (t) => {
  const dir = tempDir();
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db') });
  const workers: Proc[] = [await startRealWorker(backend.url, 'backtesting', `sw1-${process.pid}`), await startRealWorker(backend.url, 'backtesting', `sw2-${process.pid}`)];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.crash()));
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 2);
  const base = { strategy_name: 'rsi_reversion_rules', start_date: '2024-01-01', end_date: '2024-03-01' };

  // Bad grids: 400, the field named, nothing stored.
  const bad: [Record<string, unknown>, string, RegExp][] = [
    [{ grid: { 'indicators.rsi_99.period': [7, 14] } }, 'grid.indicators.rsi_99.period', /unknown path.*rsi_14/],
    [{ grid: { 'decisions.nope': [1] } }, 'grid.decisions.nope', /unknown path/],
    [{ grid: { 'indicators.rsi_14.period': '28:7:7' } }, 'grid.indicators.rsi_14.period', /stop must be/],
    [{ grid: { 'indicators.rsi_14.period': '7:x:7' } }, 'grid.indicators.rsi_14.period', /bad range/],
    [{ grid: { indicators: [1, 2] } }, 'grid.indicators', /mapping, not a single value/],
    [{ grid: { 'decisions.confidence_threshold': '0:1:0.01', 'indicators.rsi_14.period': '2:30:1' } }, 'grid', /at most 1000 children/],
    [{ grid: { 'indicators.rsi_14.period': [14, -3] } }, 'grid (indicators.rsi_14.period=-3)', /./],
    [{ walk_forward: { windows: 40 }, end_date: '2024-01-20' }, 'walk_forward.windows', /do not fit/],
    [{ strategy_name: 'no_such_strategy' }, 'strategy_name', /./],
  ];
  for (const [patch, field, message] of bad) {
    const r = await api(backend.url, '/api/v1/sweeps', { method: 'POST', body: { ...base, ...patch } });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const issue = (r.body.errors as { path: string; message: string }[]).find((e) => e.path.startsWith(field));
    assert.ok(issue, `${JSON.stringify(patch)}: expected an error on ${field}, got ${JSON.stringify(r.body.errors)}`);
    assert.match(issue.message, message);
  }
  assert.equal((await api(backend.url, '/api/v1/operations')).body.total_count, 0, 'rejected sweeps leave no operations');

  // 3×3 grid through the CLI: --follow prints the table, --csv writes it.
  const csvFile = join(dir.path, 'sweep.csv');
  const grid = await cli(backend.url, [
    'sweep', 'rsi_reversion_rules',
    '--grid', 'decisions.confidence_threshold=0.4,0.5,0.6',
    '--grid', 'indicators.rsi_14.period=7:21:7',
    '--start-date', '2024-01-01', '--end-date', '2024-03-01',
    '--follow', '--sort', 'sharpe_ratio', '--csv', csvFile,
  ]);
  const sweepId = /Sweep (op_sweep_\S+): 9 backtests queued/.exec(grid.stderr)?.[1];
  assert.ok(sweepId, grid.stderr);
  assert.match(grid.stdout, new RegExp(`Sweep ${sweepId}: completed, 9 children`));
  assert.match(grid.stdout, /CONFIDENCE_THRESHOLD\s+RSI_14\.PERIOD\s+RETURN\s+SHARPE\s+MAX DD\s+TRADES\s+STATUS/);
  const view = (await api(backend.url, `/api/v1/sweeps/${sweepId}`)).body.data;
  assert.equal(view.sweep.status, 'completed');
  assert.equal(view.sweep.progress.percentage, 100);
  assert.deepEqual(view.counts, { completed: 9 });
  const table = (await api(backend.url, `/api/v1/sweeps/${sweepId}/table?sort=sharpe_ratio&order=desc`)).body.data;
  const dims = ['decisions.confidence_threshold', 'indicators.rsi_14.period'];
  assert.deepEqual(table.columns.slice(0, 2), dims);
  assert.equal(table.rows.length, 9);
  const points = new Set(table.rows.map((r: Record<string, unknown>) => `${String(r[dims[0]!])}/${String(r[dims[1]!])}`));
  assert.equal(points.size, 9, 'every grid point once');
  const sharpes = table.rows.map((r: Record<string, number>) => r['sharpe_ratio']!);
  assert.deepEqual(sharpes, [...sharpes].sort((a, b) => b - a), 'sorted by Sharpe, descending');
  const used = await assertTableMatchesChildren(backend.url, sweepId, table.rows, dims);
  assert.equal(used.size, 2, 'the children ran on both workers');
  // Different periods give different results: the grid really reached the strategy.
  assert.ok(new Set(table.rows.map((r: Record<string, number>) => r['total_return'])).size > 1);
  const csv = readFileSync(csvFile, 'utf8').trim().split('\n');
  assert.equal(csv.length, 10);
  assert.equal(csv[0], table.columns.join(','));
  const apiCsv = await fetch(`${backend.url}/api/v1/sweeps/${sweepId}/table?format=csv&sort=sharpe_ratio`);
  assert.match(apiCsv.headers.get('content-type') ?? '', /text\/csv/);
  assert.equal((await apiCsv.text()).trim(), csv.join('\n'));
  const shown = await cli(backend.url, ['sweeps', 'show', sweepId, '--sort', 'total_trades', '--order', 'asc']);
  assert.match(shown.stdout, /completed, 9 children/);
  assert.equal((await api(backend.url, `/api/v1/sweeps/${sweepId}/table?sort=nope`)).status, 400);
  await checkDashboard(backend.url, sweepId, table.rows);

  // 4-window walk-forward of a rules strategy: one backtest per out-of-sample window.
  const wf = await api(backend.url, '/api/v1/sweeps', {
    method: 'POST',
    body: { strategy_name: 'rsi_reversion_rules', start_date: '2023-07-01', end_date: '2024-06-30', walk_forward: { windows: 4, mode: 'rolling' } },
  });
  assert.equal(wf.status, 200, JSON.stringify(wf.body));
  assert.equal(wf.body.children, 4);
  const wfDone = await sweepDone(backend.url, wf.body.sweep_id);
  assert.equal(wfDone.sweep.status, 'completed');
  const wfTable = (await api(backend.url, `/api/v1/sweeps/${wf.body.sweep_id}/table`)).body.data;
  assert.deepEqual(wfTable.columns.slice(0, 3), ['window', 'window_start', 'window_end']);
  const windows = wfTable.rows.map((r: Record<string, string>) => [r['window_start'], r['window_end']]);
  assert.equal(windows[0][0], '2023-09-12', 'window 1 of 5 is in-sample: the first test window starts at the second');
  assert.equal(windows[3][1], '2024-06-30');
  for (let i = 1; i < 4; i++) assert.ok(windows[i][0] > windows[i - 1][1], `windows ${i} and ${i + 1} do not overlap`);
  await assertTableMatchesChildren(backend.url, wf.body.sweep_id, wfTable.rows, ['window', 'window_start', 'window_end']);

  // ops list: the SWEEP column, and --status queued works.
  const list = await cli(backend.url, ['ops', 'list', '--type', 'backtesting', '--limit', '5']);
  assert.match(list.stdout, /SWEEP/);
  const queued = await cli(backend.url, ['ops', 'list', '--status', 'queued']);
  assert.match(queued.stdout, /No operations\./);

  // Cancelling a sweep cancels every child that has not ended (7 of 9 wait in the queue).
  const long = await api(backend.url, '/api/v1/sweeps', {
    method: 'POST',
    body: { strategy_name: 'rsi_reversion_rules', start_date: '2021-01-01', end_date: '2024-06-30', grid: { 'indicators.rsi_14.period': [10, 12, 14], 'indicators.stoch_14.k_period': [10, 12, 14] } },
  });
  assert.equal(long.status, 200, JSON.stringify(long.body));
  const cancel = await api(backend.url, `/api/v1/operations/${long.body.sweep_id}/cancel`, { method: 'DELETE', body: {} });
  assert.equal(cancel.status, 200);
  assert.equal(cancel.body.data.status, 'cancelled');
  const children = await waitFor('children of the cancelled sweep to end', async () => {
    const v = (await api(backend.url, `/api/v1/sweeps/${long.body.sweep_id}`)).body.data;
    return v.children.every((c: { status: string }) => TERMINAL.includes(c.status)) ? v.children : undefined;
  }, { timeoutMs: 20_000 });
  const cancelled = children.filter((c: { status: string }) => c.status === 'cancelled').length;
  assert.ok(cancelled >= 7, `${cancelled} of 9 children cancelled`);
  assert.equal((await api(backend.url, `/api/v1/sweeps/${long.body.sweep_id}`)).body.data.sweep.status, 'cancelled');
  assert.equal((await api(backend.url, '/api/v1/operations?status=queued')).body.total_count, 0, 'nothing left in the queue');
});

test('a sweep survives a backend kill -9: its queued and running children go on after the restart and the parent completes', async (t) => {
  const dir = tempDir();
  const dbPath = join(dir.path, 'ktrdr.db');
  let backend = await startBackend({ dbPath });
  const port = backend.port;
  const workers: Proc[] = [await startRealWorker(backend.url, 'backtesting', `sr1-${process.pid}`), await startRealWorker(backend.url, 'backtesting', `sr2-${process.pid}`)];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.crash()));
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 2);
  const created = await api(backend.url, '/api/v1/sweeps', {
    method: 'POST',
    body: { strategy_name: 'rsi_reversion_rules', start_date: '2022-01-01', end_date: '2024-06-30', grid: { 'indicators.rsi_14.period': [10, 14, 18], 'decisions.filters.min_signal_separation': [4, 8] } },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const sweepId = created.body.sweep_id as string;
  await waitFor('a child running', async () => {
    const v = (await api(backend.url, `/api/v1/sweeps/${sweepId}`)).body.data;
    return v.children.some((c: { status: string }) => c.status === 'running') || undefined;
  }, { timeoutMs: 15_000, intervalMs: 50 });
  const before = (await api(backend.url, `/api/v1/sweeps/${sweepId}`)).body.data;
  assert.ok(before.children.filter((c: { status: string }) => !TERMINAL.includes(c.status)).length >= 3, JSON.stringify(before.counts));
  await backend.crash();
  backend = await startBackend({ dbPath, port });
  const after = await sweepDone(backend.url, sweepId, 60_000);
  assert.equal(after.sweep.status, 'completed', after.sweep.error_message);
  assert.deepEqual(after.counts, { completed: 6 });
  const table = (await api(backend.url, `/api/v1/sweeps/${sweepId}/table`)).body.data;
  await assertTableMatchesChildren(backend.url, sweepId, table.rows, ['indicators.rsi_14.period', 'decisions.filters.min_signal_separation']);
});

test('a neural walk-forward: each step trains on the windows before it (anchored) and backtests the next window with the model that training produced', async (t) => {
  const dir = tempDir();
  const env = { KTRDR_MODELS_DIR: join(dir.path, 'models') };
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  const workers: Proc[] = [await startRealWorker(backend.url, 'training', `snt-${process.pid}`, env), await startRealWorker(backend.url, 'backtesting', `snb-${process.pid}`, env)];
  t.after(async () => {
    await Promise.all(workers.map((w) => w.crash()));
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 2);
  const created = await api(backend.url, '/api/v1/sweeps', {
    method: 'POST',
    body: { strategy_name: 'rsi_macd_1h', grid: { 'training.epochs': [3] }, start_date: '2023-01-01', end_date: '2023-12-31', walk_forward: { windows: 2, mode: 'anchored' } },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.match(created.body.child_ids[0], /^op_training_/, 'a neural step starts with its training');
  const done = await sweepDone(backend.url, created.body.sweep_id, 120_000); // two trainings in a row on one worker: slow on a loaded 2-core machine
  assert.equal(done.sweep.status, 'completed', done.sweep.error_message);
  const table = (await api(backend.url, `/api/v1/sweeps/${created.body.sweep_id}/table`)).body.data;
  assert.equal(table.rows.length, 2);
  const versions = new Set<string>();
  for (const [i, row] of table.rows.entries()) {
    const bt = (await api(backend.url, `/api/v1/operations/${row.operation_id as string}`)).body.data;
    assert.equal(bt.operation_type, 'backtesting');
    assert.equal(bt.metadata.start_date, row.window_start);
    const training = (await api(backend.url, `/api/v1/operations/${bt.metadata.parameters.training_id as string}`)).body.data;
    assert.equal(training.status, 'completed');
    assert.equal(training.max_attempts, 1, 'trainings get one attempt');
    assert.equal(training.metadata.start_date, '2023-01-01', 'anchored: every step trains from the start');
    assert.ok(training.metadata.end_date < row.window_start, `step ${i + 1} trains before the window it backtests`);
    assert.equal(bt.metadata.parameters.model_path, training.result_summary.model_path, 'the backtest used the model its training produced');
    assert.equal(row.model_version, bt.metadata.parameters.model_version);
    versions.add(row.model_version as string);
  }
  assert.equal(versions.size, 2, 'each step has its own model');
  await assertTableMatchesChildren(backend.url, created.body.sweep_id, table.rows, ['window']);
});

/** The dashboard's sweep page: the table (click a header to sort) and a 3×3 heat map coloured by Sharpe. */
async function checkDashboard(url: string, sweepId: string, rows: Record<string, unknown>[]): Promise<void> {
  const executablePath = [process.env['CHROMIUM_PATH'], chromium.executablePath(), '/usr/bin/chromium'].find((p): p is string => !!p && existsSync(p));
  assert.ok(executablePath, 'no Chromium for the dashboard check (apt-get install chromium, or set CHROMIUM_PATH)');
  const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    await page.goto(`${url}/#/operations/${sweepId}`);
    await page.click('#sweep-link', { timeout: 15_000 });
    await page.waitForSelector('#sweep-table tbody tr', { timeout: 15_000 });
    assert.equal(await page.locator('#sweep-table tbody tr').count(), 9);
    assert.equal(await page.locator('#sweep-heatmap rect.cell').count(), 9);
    const cells = await page.locator('#sweep-heatmap rect.cell').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-sharpe'))));
    assert.deepEqual(cells.sort(), rows.map((r) => r['sharpe_ratio'] as number).sort());
    // Default sort: Sharpe descending; a click on TRADES sorts by trades descending, a second click ascending.
    const trades = async () => page.locator('#sweep-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-operation-id')));
    const byTrades = (dir: number) => rows.slice().sort((a, b) => dir * ((a['total_trades'] as number) - (b['total_trades'] as number))).map((r) => r['total_trades']);
    const tradesOf = async () => {
      const ids = await trades();
      return ids.map((id) => rows.find((r) => r['operation_id'] === id)!['total_trades']);
    };
    await page.click('th[data-sort="total_trades"]');
    assert.deepEqual(await tradesOf(), byTrades(-1));
    await page.click('th[data-sort="total_trades"]');
    assert.deepEqual(await tradesOf(), byTrades(1));
    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'dashboard-sweep.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
}
