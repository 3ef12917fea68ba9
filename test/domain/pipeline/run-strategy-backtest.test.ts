import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runStrategyBacktest } from '../../../src/domain/pipeline/run-strategy-backtest.js';
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
  assert.equal(artifact.equity_curve.benchmark_equity.length, artifact.equity_curve.equity.length);
});

test('request overrides: shorts and reversals on request, separation as a duration', async () => {
  const { artifact } = await backtest({ allow_short: true, on_opposite_signal: 'reverse' });
  assert.ok(artifact.trades.some((t) => t.side === 'short'));
  const { summary } = await backtest({ min_signal_separation: '10000h' });
  assert.equal(summary.metrics.total_trades, 1, 'the only exit is the end of the data');
  assert.deepEqual(summary.trading.min_signal_separation, { duration: '10000h' });
  assert.ok(summary.diagnostics.by_separation > 0);
});
