import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSeriesFrame } from '../../../src/contracts/series-frame.js';
import { runBacktestEngine } from '../../../src/domain/backtest/engine.js';
import { ruleProbabilities } from '../../../src/domain/features/rules.js';
import { resolveTrading } from '../../../src/domain/pipeline/resolve-trading.js';
import { runStrategyBacktest } from '../../../src/domain/pipeline/run-strategy-backtest.js';
import { firstIndexAtOrAfter, loadStrategyData } from '../../../src/domain/pipeline/strategy-data.js';
import { loadStrategy } from '../../../src/domain/strategy/load-strategy.js';
import { repoRoot } from '../../helpers/paths.js';

const hooks = { progress() {}, isCancelled: () => false };
async function backtest(overrides = {}, startDate = '2024-01-01') {
  const strategy = loadStrategy('rsi_reversion_rules', join(repoRoot, 'strategies'));
  const out = await runStrategyBacktest(
    { strategy, dataDir: join(repoRoot, 'data'), modelsDir: join(repoRoot, 'no-models'), symbol: 'EURUSD', timeframe: '1h', startDate, endDate: '2024-12-31', initialCapital: 100_000, overrides },
    hooks,
  );
  assert.ok(out);
  return out;
}

test('the shipped rules example is long-only, close-on-opposite and not always in the market', async () => {
  const { summary, artifact } = await backtest({}, '2019-01-01');
  assert.ok(summary.metrics.total_trades > 10);
  assert.ok(artifact.trades.every((t) => t.side === 'long'));
  assert.ok(summary.metrics.exposure_pct < 0.8, `exposure ${summary.metrics.exposure_pct}`);
  assert.equal(summary.trading.allow_short, false);
  assert.equal(summary.trading.on_opposite_signal, 'close');
});

test('every result prints its costs, position semantics, benchmarks and signal diagnostics', async () => {
  const { summary, artifact } = await backtest();
  assert.equal(summary.costs.asset_class, 'fx');
  assert.equal(summary.costs.commission_bps, 0.3);
  assert.equal(summary.costs.slippage_pips, 0.5);
  for (const b of [summary.benchmarks.buy_and_hold, summary.benchmarks.buy_and_hold_full]) {
    for (const k of ['total_return_pct', 'sharpe_ratio', 'max_drawdown_pct'] as const) assert.ok(Number.isFinite(b[k]), k);
    assert.ok(b.total_fees > 0, 'benchmarks pay costs');
  }
  const d = summary.diagnostics;
  assert.equal(d.raw_buy + d.raw_hold + d.raw_sell, d.decision_bars);
  assert.equal(d.hold + d.below_threshold + d.already_in_position + d.short_not_allowed + d.no_capital + d.by_separation + d.executed, d.decision_bars);
  assert.deepEqual(d.no_trade_reasons, []);
  assert.ok(summary.equity_curve.every((p) => Number.isFinite(p.benchmark_equity)));
  const curve = decodeSeriesFrame(artifact.equity_curve);
  assert.deepEqual(curve.header.columns, ['time', 'equity', 'benchmark_equity']);
  assert.equal(curve.columns['benchmark_equity']!.length, curve.columns['equity']!.length);
  assert.equal(curve.header.length, summary.bars);
});

test('the full equity curve is a transferable series frame equal to the engine run: per bar, same times, same values, same metrics', async () => {
  const { summary, artifact } = await backtest({}, '2023-01-01');
  // The previous artifact, rebuilt from the engine the way it was built before: ISO time and cents per bar.
  const strategy = loadStrategy('rsi_reversion_rules', join(repoRoot, 'strategies'));
  const data = loadStrategyData(strategy, { dataDir: join(repoRoot, 'data'), symbol: 'EURUSD', endDate: '2024-12-31' });
  const startIndex = Math.max(data.features.validFrom, firstIndexAtOrAfter(data.base.time, '2023-01-01'));
  const trading = resolveTrading(strategy, 'EURUSD', {});
  const engine = runBacktestEngine({
    bars: data.base,
    probabilities: ruleProbabilities(strategy, data.features),
    config: { ...trading.config, initialCapital: 100_000, startIndex, timeframe: '1h' },
  });
  assert.deepEqual(summary.metrics, engine.metrics, 'metrics identical');
  assert.equal(artifact.trades.length, engine.trades.length);
  const bytes = artifact.equity_curve;
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.byteLength, bytes.buffer.byteLength, 'the frame owns its buffer, so the job thread can transfer it');
  const { columns, header } = decodeSeriesFrame(bytes);
  assert.equal(header.length, data.base.length - startIndex, 'full curve length = bars of the window');
  assert.equal(header.length, summary.bars);
  for (let i = startIndex, k = 0; i < data.base.length; i++, k++) {
    if (new Date(columns['time']![k]!).toISOString() !== new Date(engine.time[i]!).toISOString()) assert.fail(`time of bar ${k}`);
    if (Math.round(columns['equity']![k]! * 100) / 100 !== Math.round(engine.equity[i]! * 100) / 100) assert.fail(`equity of bar ${k}`);
  }
  assert.equal(columns['equity']![header.length - 1], engine.finalCash);
});

test('request overrides: shorts and reversals on request, separation as a duration', async () => {
  const { artifact } = await backtest({ allow_short: true, on_opposite_signal: 'reverse' });
  assert.ok(artifact.trades.some((t) => t.side === 'short'));
  const { summary } = await backtest({ min_signal_separation: '10000h' });
  assert.equal(summary.metrics.total_trades, 1, 'the only exit is the end of the data');
  assert.deepEqual(summary.trading.min_signal_separation, { duration: '10000h' });
  assert.ok(summary.diagnostics.by_separation > 0);
});
