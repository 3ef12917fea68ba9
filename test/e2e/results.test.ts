import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, startBackend, startRealWorker, tempDir, waitFor, waitForStatus, waitForWorkers } from '../helpers/cluster.js';

interface Curve {
  time: string[];
  equity: number[];
  benchmark_equity: number[];
  drawdown_pct: number[];
  bars: number;
  downsampled: boolean;
}

test('backtest results through backend + worker: the curve is a file on the backend, downsampled by default, whole on request; the worker drops its copy', async (t) => {
  const dir = tempDir();
  const backend = await startBackend({ dbPath: join(dir.path, 'ktrdr.db') });
  const worker = await startRealWorker(backend.url, 'backtesting', `results-bt-${process.pid}`);
  t.after(async () => {
    await worker.crash();
    await backend.crash();
    dir.remove();
  });
  await waitForWorkers(backend.url, 1);

  const ids: string[] = [];
  for (const start of ['2019-01-01', '2021-01-01', '2023-06-01']) {
    const r = await api(backend.url, '/api/v1/backtests/start', { method: 'POST', body: { strategy_name: 'rsi_reversion_rules', start_date: start, end_date: '2024-12-31' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = r.body.operation_id as string;
    ids.push(id);
    const op = await waitForStatus(backend.url, id, ['completed'], 60_000);
    const bars = op.result_summary.bars as number;

    const res = await api(backend.url, `/api/v1/operations/${id}/results`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const data = res.body.data;
    assert.deepEqual(data.metrics, op.result_summary.metrics, 'the same metrics as the summary');
    const c = data.equity_curve as Curve;
    assert.equal(c.bars, bars);
    assert.equal(c.downsampled, bars > 1000);
    assert.ok(c.equity.length <= 1000, `${c.equity.length} points`);
    assert.equal(c.time.length, c.equity.length);
    assert.equal(c.benchmark_equity.length, c.equity.length);

    const full = (await api(backend.url, `/api/v1/operations/${id}/results?equity=full`)).body.data.equity_curve as Curve;
    assert.equal(full.equity.length, bars, 'the full curve has one point per bar');
    assert.equal(full.downsampled, false);
    assert.equal(full.time[0], c.time[0]);
    assert.equal(full.time.at(-1), c.time.at(-1));
    assert.equal(Math.min(...c.equity), Math.min(...full.equity), 'the downsample keeps the lowest equity');
    assert.equal(Math.max(...c.equity), Math.max(...full.equity), 'and the highest');
    assert.equal(full.equity.at(-1)! - full.equity[0]!, data.metrics.total_return, 'the curve ends at the total return');
    assert.ok(Math.abs(Math.max(...full.drawdown_pct) - data.metrics.max_drawdown_pct) < 1e-12, 'drawdowns match the metrics');

    const bad = await api(backend.url, `/api/v1/operations/${id}/results?max_points=2`);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /max_points/);

    // The worker keeps the op's record, not its artifact, once the backend acknowledged the push.
    const dropped = await waitFor('the worker to drop the artifact', async () => {
      const w = await api(worker.url, `/api/v1/operations/${id}/results`);
      return w.status === 404 ? w : undefined;
    });
    assert.match(dropped.body.detail, /delivered to the backend/);
    const onWorker = await api(worker.url, `/api/v1/operations/${id}`);
    assert.equal(onWorker.status, 200);
    assert.equal(onWorker.body.data.status, 'completed');
    assert.deepEqual(onWorker.body.data.result_summary.metrics, data.metrics);
  }
  // One file per op in the backend's results folder (next to its database), nothing else.
  const results = join(dir.path, 'results');
  assert.deepEqual(readdirSync(results).sort(), [...ids].sort());
  for (const id of ids) assert.match(readdirSync(join(results, id)).join(','), /^[0-9a-f]{12}-0\.bin$/);

  // A report frame that does not decode is a 400 naming the body, not a 500.
  const bad = await fetch(`${backend.url}/api/v1/operations/${ids[0]}/report`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.ktrdr.report' },
    body: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
  });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /body: report body is not a readable report frame: bad magic/);
});
