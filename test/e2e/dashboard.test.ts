import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { api, startBackend, startRealWorker, tempDir, waitForStatus, waitForWorkers } from '../helpers/cluster.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * The Chromium the browser tests drive: $CHROMIUM_PATH, else a Playwright-managed one (honours
 * PLAYWRIGHT_BROWSERS_PATH), else a system Chromium or Chrome. `undefined` when there is none.
 */
function findChromium(): string | undefined {
  const candidates = [
    process.env['CHROMIUM_PATH'],
    chromium.executablePath(),
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/snap/bin/chromium',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

const NO_CHROMIUM =
  'no Chromium found for the dashboard browser tests: install one (Debian/Ubuntu: apt-get install chromium; ' +
  'elsewhere: npx playwright-core install chromium) or set CHROMIUM_PATH to a Chrome/Chromium binary';

/** The Chromium to launch; fails the test with the one instruction that fixes it when there is none. */
function requireChromium(): string {
  const path = findChromium();
  assert.ok(path !== undefined, NO_CHROMIUM);
  return path;
}
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
  const executablePath = requireChromium();
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
  for (const [path, type] of [['/dashboard/app.js', /javascript/], ['/dashboard/app.css', /text\/css/], ['/favicon.ico', /image\/svg\+xml/]] as const) {
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

  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  const notFound: string[] = [];
  page.on('response', (r) => void (r.status() === 404 && notFound.push(r.url())));

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
  assert.deepEqual(notFound, [], 'no request 404s (the favicon included)');
});

test('dashboard: a running training shows live epochs in the training chart, and its cancel button cancels it', async (t) => {
  const executablePath = requireChromium();
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

  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.goto(`${backend.url}/#/operations/${id}`);
  await page.waitForSelector('#cancel-button', { timeout: 15_000 });
  // Live: the page polls and draws the epochs as the worker reports them.
  await page.waitForSelector('#training-chart #loss-chart path.series', { timeout: 60_000 });
  assert.ok((await page.locator('#epochs tbody tr').count()) >= 1);
  // The legend sits above the plot area, not over the curves.
  const box = (await page.evaluate(`(() => {
    const svg = document.querySelector('#loss-chart');
    const b = svg.querySelector('g.legend').getBBox();
    return { legendBottom: b.y + b.height, plotTop: Number(svg.querySelector('line.axis').getAttribute('y1')) };
  })()`)) as { legendBottom: number; plotTop: number };
  assert.ok(box.legendBottom <= box.plotTop, `legend bottom ${box.legendBottom} overlaps the plot (top ${box.plotTop})`);
  await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'dashboard-training.png'), fullPage: true });

  await page.click('#cancel-button');
  const op = await waitForStatus(backend.url, id, ['cancelled', 'completed', 'failed'], 20_000);
  assert.equal(op.status, 'cancelled', op.error_message);
  await page.locator('.badge.status-cancelled').first().waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#cancel-button').count(), 0);
  assert.deepEqual(pageErrors, []);
});

test('dashboard with KTRDR_API_TOKEN: the shell is public, the login prompt keeps the token in sessionStorage, never in the URL', async (t) => {
  const executablePath = requireChromium();
  const dir = tempDir();
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db'), env: { KTRDR_API_TOKEN: 's3cret-token' } });
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    await backend.crash();
    dir.remove();
  });
  assert.equal((await fetch(`${backend.url}/`)).status, 200);
  assert.equal((await fetch(`${backend.url}/dashboard/app.js`)).status, 200);
  assert.equal((await fetch(`${backend.url}/api/v1/workers`)).status, 401);
  // ?token= in the URL is ignored: it would leak into history, logs and Referer headers.
  assert.doesNotMatch(await (await fetch(`${backend.url}/dashboard/app.js`)).text(), /searchParams|location\.search/);

  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const authHeaders: (string | undefined)[] = [];
  page.on('request', (req) => {
    if (req.url().includes('/api/v1/')) authHeaders.push(req.headers()['authorization']);
  });
  // A token in the URL is not used: the login prompt shows.
  await page.goto(`${backend.url}/?token=s3cret-token#/`);
  await page.waitForSelector('#token-form', { timeout: 10_000 });
  assert.equal(await page.locator('#workers').count(), 0);
  await page.goto(`${backend.url}/#/`);
  await page.waitForSelector('#token-form', { timeout: 10_000 });

  await page.fill('#token-input', 's3cret-token');
  await page.click('#token-form button[type=submit]');
  await page.locator('#workers', { hasText: 'No worker registered' }).waitFor({ timeout: 10_000 });
  await page.locator('#operations', { hasText: 'No operation yet' }).waitFor();
  assert.equal(await page.evaluate("sessionStorage.getItem('ktrdr.apiToken')"), 's3cret-token');
  assert.equal(await page.evaluate("localStorage.getItem('ktrdr.apiToken')"), null);
  assert.ok(authHeaders.includes('Bearer s3cret-token'), 'the API calls carry the token as a bearer header');
  assert.ok(!page.url().includes('token='), page.url());
  // Kept for the tab: a reload still works without asking again.
  await page.reload();
  await page.locator('#workers', { hasText: 'No worker registered' }).waitFor({ timeout: 10_000 });
});
