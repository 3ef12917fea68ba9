import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { listAvailableData } from '../../../src/domain/data/data-files.js';
import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';
import { loadOhlcv } from '../../../src/domain/data/ohlcv-loader.js';
import { resampleOhlcv } from '../../../src/domain/data/resample.js';
import { generateSampleData } from '../../../src/domain/data/sample-data.js';
import { repoRoot } from '../../helpers/paths.js';

const dataDir = join(repoRoot, 'data');
const YEAR_MS = 365.25 * 86_400_000;

describe('shipped sample data (data/*.csv)', () => {
  test('is listed, loads, and covers at least 5 years for every symbol and timeframe', () => {
    const available = listAvailableData(dataDir).map((a) => `${a.symbol}_${a.timeframe}`);
    for (const symbol of ['EURUSD', 'GBPUSD']) {
      for (const timeframe of ['1h', '4h', '1d']) {
        assert.ok(available.includes(`${symbol}_${timeframe}`), `${symbol}_${timeframe} listed`);
        const s = loadOhlcv({ dataDir, symbol, timeframe });
        const span = (s.time[s.length - 1] as number) - (s.time[0] as number);
        assert.ok(span >= 5 * YEAR_MS, `${symbol} ${timeframe} spans ${span / YEAR_MS} years`);
        assert.equal(s.time[0], Date.UTC(2019, 0, 1));
      }
    }
  });

  test('prices are plausible for each pair', () => {
    for (const [symbol, lo, hi] of [['EURUSD', 0.8, 1.6], ['GBPUSD', 0.9, 1.8]] as const) {
      const d = loadOhlcv({ dataDir, symbol, timeframe: '1d' });
      assert.ok(d.low.every((x) => x > lo) && d.high.every((x) => x < hi), symbol);
    }
  });

  test('1h, 4h and 1d files agree: 4h and 1d are the 1h series resampled', () => {
    for (const symbol of ['EURUSD', 'GBPUSD']) {
      const hourly = loadOhlcv({ dataDir, symbol, timeframe: '1h' });
      const pairs: Array<[OhlcvSeries, OhlcvSeries]> = [
        [loadOhlcv({ dataDir, symbol, timeframe: '4h' }), resampleOhlcv(hourly, '4h')],
        [loadOhlcv({ dataDir, symbol, timeframe: '1d' }), resampleOhlcv(hourly, '1d', { foldWeekendIntoMonday: true })],
      ];
      for (const [file, derived] of pairs) {
        for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) assert.deepEqual(file[k], derived[k], `${symbol} ${file.timeframe} ${k}`);
      }
    }
  });

  test('1h bars respect the FX weekend and daily bars are Monday–Friday', () => {
    const hourly = loadOhlcv({ dataDir, symbol: 'EURUSD', timeframe: '1h' });
    for (const t of hourly.time) {
      const d = new Date(t);
      const day = d.getUTCDay();
      const h = d.getUTCHours();
      assert.ok(!(day === 6 || (day === 5 && h >= 22) || (day === 0 && h < 22)), d.toISOString());
    }
    for (const t of loadOhlcv({ dataDir, symbol: 'GBPUSD', timeframe: '1d' }).time) {
      const day = new Date(t).getUTCDay();
      assert.ok(day >= 1 && day <= 5);
    }
  });

  // Its speed is measured by `npm run bench -- pipeline`, not here.
  test('the 1h file (~37k rows) loads whole', () => {
    const s = loadOhlcv({ dataDir, symbol: 'EURUSD', timeframe: '1h' });
    assert.ok(s.length > 35_000);
  });

  test('regenerating with generateSampleData reproduces the shipped files byte for byte', (t) => {
    const out = mkdtempSync(join(tmpdir(), 'ktrdr-sample-'));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const written = generateSampleData({ dataDir: out });
    assert.deepEqual(written.map((w) => `${w.symbol}_${w.timeframe}`), ['EURUSD_1h', 'EURUSD_4h', 'EURUSD_1d', 'GBPUSD_1h', 'GBPUSD_4h', 'GBPUSD_1d']);
    for (const w of written) {
      assert.equal(w.first, '2019-01-01T00:00:00Z');
      assert.ok(readFileSync(w.path).equals(readFileSync(join(dataDir, `${w.symbol}_${w.timeframe}.csv`))), `${w.symbol}_${w.timeframe} differs from data/`);
    }
  });
});

test('generateSampleData honours symbols, range and seed', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ktrdr-sample-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const a = generateSampleData({ dataDir: join(out, 'a'), symbols: ['USDJPY', { symbol: 'TEST', startPrice: 50, annualVol: 0.2, priceDecimals: 2 }], start: '2024-01-01', end: '2024-01-31' });
  const b = generateSampleData({ dataDir: join(out, 'b'), symbols: ['USDJPY'], start: '2024-01-01', end: '2024-01-31', seed: 5 });
  assert.equal(a.length, 6);
  const jpy = loadOhlcv({ dataDir: join(out, 'a'), symbol: 'USDJPY', timeframe: '1h' });
  assert.ok(jpy.close[0]! > 90 && jpy.close[0]! < 130, `USDJPY ${jpy.close[0]}`);
  assert.match(readFileSync(join(out, 'a', 'USDJPY_1h.csv'), 'utf8').split('\n')[1]!, /^2024-01-01T00:00:00Z,\d+\.\d{3},/);
  assert.match(readFileSync(join(out, 'a', 'TEST_1d.csv'), 'utf8').split('\n')[1]!, /^2024-01-01T00:00:00Z,50\.00,\d+\.\d{2},/);
  assert.equal(a[0]?.last, '2024-01-31T23:00:00Z');
  assert.notEqual(readFileSync(join(out, 'a', 'USDJPY_1h.csv'), 'utf8'), readFileSync(join(out, 'b', 'USDJPY_1h.csv'), 'utf8'));
  assert.equal(b.length, 3);
});
