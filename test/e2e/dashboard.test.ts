import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { api, startBackend, startRealWorker, tempDir, waitForStatus, waitForWorkers } from '../helpers/cluster.js';
import { repoRoot } from '../helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

test('dashboard: a completed rules backtest shows equity/drawdown charts, metrics and trades; the overview lists the worker', async (t) => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} not found: the dashboard test drives Debian chromium (apt-get install -y chromium; .ci/run installs it)`,
  );
  const dir = tempDir();
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db') });
  const workerId = `bt-dash-${process.pid}`;
  const worker = await startRealWorker(backend.url, 'backtesting', workerId);
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    await worker.crash();
    await backend.crash();
    dir.remove();
  });

  // The page and its assets are served (and public) at the root.
  const index = await fetch(`${backend.url}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await index.text(), /\/dashboard\/app\.js/);
  for (const [path, type] of [['/dashboard/app.js', /javascript/], ['/dashboard/app.css', /text\/css/]] as const) {
    const r = await fetch(`${backend.url}${path}`);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type') ?? '', type);
  }

  await waitForWorkers(backend.url, 1);
  const start = await api(backend.url, '/api/v1/backtests/start', {
    method: 'POST',
    body: { strategy_name: 'rsi_reversion_rules', start_date: '2024-01-01', end_date: '2024-06-30' },
  });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const id = start.body.operation_id as string;
  const op = await waitForStatus(backend.url, id, ['completed', 'failed', 'cancelled'], 60_000);
  assert.equal(op.status, 'completed', op.error_message);
  const summary = op.result_summary as {
    metrics: Record<string, number>;
    trades: unknown[];
    equity_curve: unknown[];
  };
  assert.ok(summary.equity_curve.length >= 2, 'the backtest produced an equity curve');

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));

  // Operation page.
  await page.goto(`${backend.url}/#/operations/${id}`);
  await page.waitForSelector('#equity-chart path.series', { timeout: 15_000 });
  await page.waitForSelector('#drawdown-chart path.series');
  await page.locator('#metrics', { hasText: 'Sharpe' }).waitFor({ timeout: 10_000 });
  const equityPath = await page.getAttribute('#equity-chart path.series', 'd');
  // One path vertex per equity point (M + L segments).
  assert.equal((equityPath ?? '').match(/[ML]/g)?.length, summary.equity_curve.length);

  // Fractions are shown as percentages: computed here from the API's value.
  const totalReturn = summary.metrics['total_return_pct'];
  assert.equal(typeof totalReturn, 'number');
  const shown = await page.textContent('#metrics tr[data-metric="total_return_pct"] td:last-child');
  assert.equal(shown?.trim(), `${(totalReturn! * 100).toFixed(2)} %`);
  const winRate = await page.textContent('#metrics tr[data-metric="win_rate"] td:last-child');
  assert.equal(winRate?.trim(), `${(summary.metrics['win_rate']! * 100).toFixed(2)} %`);

  if (summary.trades.length > 0) {
    assert.equal(await page.locator('#trades tbody tr').count(), summary.trades.length);
  } else {
    assert.match((await page.textContent('#trades')) ?? '', /No trade/);
  }
  assert.equal(await page.locator('#cancel-button').count(), 0, 'no cancel button on a completed operation');
  // Issue 10: costs and semantics, benchmarks side by side, signal diagnostics, benchmark overlay.
  await page.locator('#backtest-costs', { hasText: 'long-only' }).waitFor();
  assert.equal(await page.locator('#benchmarks tbody tr').count(), 3);
  await page.locator('#signal-diagnostics', { hasText: 'Executed' }).waitFor();
  assert.equal(await page.locator('#equity-chart path.series').count(), 2, 'equity and buy-and-hold');
  await page.waitForSelector('#price-chart path.series');
  assert.equal(await page.locator('#price-chart path.trade-marker').count(), 2 * summary.trades.length);

  mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'dashboard-backtest.png'), fullPage: true });

  // Overview: the worker and the operation are listed.
  await page.goto(`${backend.url}/`);
  await page.waitForSelector(`#workers tr[data-worker-id="${workerId}"]`, { timeout: 10_000 });
  const row = (await page.textContent(`#workers tr[data-worker-id="${workerId}"]`)) ?? '';
  assert.match(row, /backtesting/);
  assert.match(row, /available/);
  await page.waitForSelector(`#operations tr[data-operation-id="${id}"]`);
  assert.match((await page.textContent(`#operations tr[data-operation-id="${id}"]`)) ?? '', /completed.*rsi_reversion_rules/);
  await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'dashboard-overview.png'), fullPage: true });

  // Hash navigation from the overview to the operation page.
  await page.click(`#operations tr[data-operation-id="${id}"] a`);
  await page.waitForSelector('#equity-chart path.series');

  assert.deepEqual(pageErrors, []);
});

test('dashboard: a running training shows live epochs in the training chart, and its cancel button cancels it', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: the dashboard test drives Debian chromium (apt-get install -y chromium)`);
  const dir = tempDir();
  const env = { KTRDR_MODELS_DIR: join(dir.path, 'models') };
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db'), env });
  const worker = await startRealWorker(backend.url, 'training', `trainer-dash-${process.pid}`, env);
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    await worker.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);
  const start = await api(backend.url, '/api/v1/training/start', { method: 'POST', body: { strategy_name: 'rsi_macd_1h' } });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const id = start.body.operation_id as string;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.goto(`${backend.url}/#/operations/${id}`);
  await page.waitForSelector('#cancel-button', { timeout: 15_000 });
  // Live: the page polls and draws the epochs as the worker reports them.
  await page.waitForSelector('#training-chart #loss-chart path.series', { timeout: 60_000 });
  assert.ok((await page.locator('#epochs tbody tr').count()) >= 1);
  await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'dashboard-training.png'), fullPage: true });

  await page.click('#cancel-button');
  const op = await waitForStatus(backend.url, id, ['cancelled', 'completed', 'failed'], 20_000);
  assert.equal(op.status, 'cancelled', op.error_message);
  await page.locator('.badge.status-cancelled').first().waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#cancel-button').count(), 0);
  assert.deepEqual(pageErrors, []);
});

test('dashboard with KTRDR_API_TOKEN: the page is public, asks for the token, and uses ?token= for the API', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: the dashboard test drives Debian chromium (apt-get install -y chromium)`);
  const dir = tempDir();
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db'), env: { KTRDR_API_TOKEN: 's3cret-token' } });
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    await backend.crash();
    dir.remove();
  });
  assert.equal((await fetch(`${backend.url}/`)).status, 200);
  assert.equal((await fetch(`${backend.url}/api/v1/workers`)).status, 401);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.goto(`${backend.url}/`);
  await page.waitForSelector('#token-form', { timeout: 10_000 });
  assert.equal(await page.locator('#workers').count(), 0);

  await page.goto(`${backend.url}/?token=s3cret-token#/`);
  await page.locator('#workers', { hasText: 'No worker registered' }).waitFor({ timeout: 10_000 });
  await page.locator('#operations', { hasText: 'No operation yet' }).waitFor();
  // Kept in localStorage: a plain reload without ?token= still works.
  await page.goto(`${backend.url}/`);
  await page.locator('#workers', { hasText: 'No worker registered' }).waitFor({ timeout: 10_000 });
});
