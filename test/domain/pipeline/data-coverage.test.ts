import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeDataCoverage } from '../../../src/domain/pipeline/data-coverage.js';
import { runStrategyBacktest } from '../../../src/domain/pipeline/run-strategy-backtest.js';
import { loadStrategy } from '../../../src/domain/strategy/load-strategy.js';
import { repoRoot } from '../../helpers/paths.js';

const ms = (iso: string) => Date.parse(iso);
const base = {
  symbol: 'EURUSD',
  timeframe: '1h',
  dataFirstMs: ms('2019-01-01T00:00:00Z'),
  dataLastMs: ms('2024-12-31T23:00:00Z'),
  usedFirstMs: ms('2024-01-01T00:00:00Z'),
  usedLastMs: ms('2024-12-31T23:00:00Z'),
};

test('describeDataCoverage: no warning when the data covers the request', () => {
  const c = describeDataCoverage({ ...base, startDate: '2024-01-01', endDate: '2024-12-31' });
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(c.data_range, { first_bar: '2024-01-01T00:00:00Z', last_bar: '2024-12-31T23:00:00Z' });
});

test('describeDataCoverage: an end date past the data says where the results stop', () => {
  const c = describeDataCoverage({ ...base, startDate: '2024-01-01', endDate: '2025-06-30' });
  assert.deepEqual(c.warnings, [
    'end_date 2025-06-30 is past the end of the EURUSD 1h data (last bar 2024-12-31 23:00 UTC): results stop at 2024-12-31 23:00 UTC',
  ]);
});

test('describeDataCoverage: a start date before the data says where the results start; a weekend gap is no warning', () => {
  const c = describeDataCoverage({ ...base, usedFirstMs: ms('2019-01-03T10:00:00Z'), startDate: '2015-01-01', endDate: '2025-01-02' });
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0] as string, /^start_date 2015-01-01 is before the EURUSD 1h data begins \(first bar 2019-01-01 00:00 UTC\): results start at 2019-01-03 10:00 UTC$/);
});

test('a real backtest past the end of the sample data reports the range it used and warns', async () => {
  const strategy = loadStrategy('rsi_reversion_rules', join(repoRoot, 'strategies'));
  const out = await runStrategyBacktest(
    {
      strategy,
      dataDir: join(repoRoot, 'data'),
      modelsDir: join(repoRoot, 'models-unused'),
      symbol: 'EURUSD',
      timeframe: '1h',
      startDate: '2024-10-01',
      endDate: '2025-06-30',
      initialCapital: 100_000,
      overrides: { commission: 0, slippage: 0 },
    },
    { progress: () => undefined, isCancelled: () => false },
  );
  assert.ok(out);
  const summary = out.summary as { data_range: { last_bar: string }; warnings: string[]; end_date: string };
  assert.equal(summary.end_date, '2025-06-30');
  assert.match(summary.data_range.last_bar, /^2024-12-31T/);
  assert.equal(summary.warnings.length, 1);
  assert.match(summary.warnings[0] as string, /^end_date 2025-06-30 is past the end of the EURUSD 1h data/);
});
