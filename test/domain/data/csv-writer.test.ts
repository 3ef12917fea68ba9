import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatOhlcvCsv, writeOhlcvCsv } from '../../../src/domain/data/csv-writer.js';
import { DataError } from '../../../src/domain/data/data-error.js';
import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';
import { loadOhlcv } from '../../../src/domain/data/ohlcv-loader.js';

function series(rows: Array<[number, number, number, number, number, number]>): OhlcvSeries {
  const col = (k: number): Float64Array => Float64Array.from(rows, (r) => r[k] as number);
  return { symbol: 'EURUSD', timeframe: '1h', length: rows.length, time: col(0), open: col(1), high: col(2), low: col(3), close: col(4), volume: col(5) };
}

const sample = series([
  [Date.UTC(2020, 0, 2, 13), 1.1, 1.2, 1.05, 1.15, 100],
  [Date.UTC(2020, 0, 2, 14, 0, 0, 500), 1.15, 1.25, 1.1, 1.2, 2.5],
]);

test('formats the canonical layout', () => {
  assert.equal(
    formatOhlcvCsv(sample),
    'date,open,high,low,close,volume\n' +
      '2020-01-02T13:00:00Z,1.1,1.2,1.05,1.15,100\n' +
      '2020-01-02T14:00:00.500Z,1.15,1.25,1.1,1.2,2.5\n',
  );
  assert.equal(
    formatOhlcvCsv(sample, { priceDecimals: 5 }).split('\n')[1],
    '2020-01-02T13:00:00Z,1.10000,1.20000,1.05000,1.15000,100',
  );
});

test('writes atomically, creates the directory, leaves no temp file, and round-trips exactly', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-writer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'nested', 'data');
  const awkward = series([
    [Date.UTC(2020, 0, 2, 13), 0.1 + 0.2, 1 / 3 + 1, 0.1, 0.1 + 0.2, 123456789.125],
    [Date.UTC(2020, 0, 2, 14), 1e-7, 2e-7, 1e-7, 1.5e-7, 0],
  ]);
  writeOhlcvCsv(join(dataDir, 'EURUSD_1h.csv'), awkward);
  assert.deepEqual(readdirSync(dataDir), ['EURUSD_1h.csv']);
  const back = loadOhlcv({ dataDir, symbol: 'EURUSD', timeframe: '1h' });
  for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) assert.deepEqual([...back[k]], [...awkward[k]], k);
  // Overwriting replaces the content.
  writeOhlcvCsv(join(dataDir, 'EURUSD_1h.csv'), sample);
  assert.equal(readFileSync(join(dataDir, 'EURUSD_1h.csv'), 'utf8'), formatOhlcvCsv(sample));
});

test('refuses to write an invalid series and writes nothing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-writer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = series([
    [Date.UTC(2020, 0, 2, 13), 1.1, 1.2, 1.05, 1.15, 100],
    [Date.UTC(2020, 0, 2, 13), 1.1, 1.2, 1.05, 1.15, 100],
  ]);
  assert.throws(() => writeOhlcvCsv(join(dir, 'X_1h.csv'), bad), (e: unknown) => e instanceof DataError && e.code === 'DATA_INVALID' && /line 3: duplicate date/.test(e.message));
  assert.deepEqual(readdirSync(dir), []);
});
