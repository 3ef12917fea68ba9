import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError } from '../../../src/domain/data/data-error.js';
import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';
import { resampleOhlcv } from '../../../src/domain/data/resample.js';

type Row = [number, number, number, number, number, number];

function series(timeframe: string, rows: Row[]): OhlcvSeries {
  const col = (k: number): Float64Array => Float64Array.from(rows, (r) => r[k] as number);
  return { symbol: 'T', timeframe, length: rows.length, time: col(0), open: col(1), high: col(2), low: col(3), close: col(4), volume: col(5) };
}

function rows(s: OhlcvSeries): Row[] {
  return Array.from({ length: s.length }, (_, i) => [s.time[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]] as Row);
}

const at = (d: number, h: number): number => Date.UTC(2024, 0, d, h); // January 2024: the 5th is a Friday, the 7th a Sunday
// A Friday afternoon, the Sunday-evening reopening and Monday morning (04:00 follows a gap).
const hourly = series('1h', [
  [at(5, 19), 10, 12, 9, 11, 1],
  [at(5, 20), 11, 13, 10, 12, 2],
  [at(5, 21), 12, 12.5, 8, 9, 3],
  [at(7, 22), 9.5, 10, 9, 9.8, 4],
  [at(7, 23), 9.8, 11, 9.7, 10.5, 5],
  [at(8, 0), 10.5, 10.6, 7, 8, 6],
  [at(8, 1), 8, 9, 7.5, 8.5, 7],
  [at(8, 4), 8.5, 14, 8.4, 13, 8],
]);

test('4h buckets are aligned to 00:00 UTC: first open, max high, min low, last close, summed volume', () => {
  const r = resampleOhlcv(hourly, '4h');
  assert.equal(r.timeframe, '4h');
  assert.equal(r.symbol, 'T');
  assert.deepEqual(rows(r), [
    [at(5, 16), 10, 12, 9, 11, 1],
    [at(5, 20), 11, 13, 8, 9, 5],
    [at(7, 20), 9.5, 11, 9, 10.5, 9],
    [at(8, 0), 10.5, 10.6, 7, 8.5, 13],
    [at(8, 4), 8.5, 14, 8.4, 13, 8],
  ]);
});

test('daily buckets start at midnight UTC; folding moves Sunday evening into Monday', () => {
  assert.deepEqual(rows(resampleOhlcv(hourly, '1d')), [
    [at(5, 0), 10, 13, 8, 9, 6],
    [at(7, 0), 9.5, 11, 9, 10.5, 9],
    [at(8, 0), 10.5, 14, 7, 13, 21],
  ]);
  assert.deepEqual(rows(resampleOhlcv(hourly, '1d', { foldWeekendIntoMonday: true })), [
    [at(5, 0), 10, 13, 8, 9, 6],
    [at(8, 0), 9.5, 14, 7, 13, 30],
  ]);
  // Folding never applies to intraday targets.
  assert.deepEqual(rows(resampleOhlcv(hourly, '4h', { foldWeekendIntoMonday: true })), rows(resampleOhlcv(hourly, '4h')));
});

test('weeks start on Monday 00:00 UTC; months on the 1st', () => {
  assert.deepEqual(rows(resampleOhlcv(hourly, '1w')), [
    [at(1, 0), 10, 13, 8, 10.5, 15],
    [at(8, 0), 10.5, 14, 7, 13, 21],
  ]);
  assert.deepEqual(rows(resampleOhlcv(hourly, '1w', { foldWeekendIntoMonday: true })), [
    [at(1, 0), 10, 13, 8, 9, 6],
    [at(8, 0), 9.5, 14, 7, 13, 30],
  ]);
  const daily = series('1d', [
    [Date.UTC(2024, 0, 30), 1, 2, 0.5, 1.5, 1],
    [Date.UTC(2024, 0, 31), 1.5, 3, 1, 2, 1],
    [Date.UTC(2024, 1, 1), 2, 2.5, 1.8, 2.2, 1],
    [Date.UTC(2024, 1, 29), 2.2, 2.4, 0.4, 0.9, 1],
    [Date.UTC(2024, 2, 1), 0.9, 1, 0.8, 0.95, 1],
  ]);
  assert.deepEqual(rows(resampleOhlcv(daily, '1M')), [
    [Date.UTC(2024, 0, 1), 1, 3, 0.5, 2, 2],
    [Date.UTC(2024, 1, 1), 2, 2.5, 0.4, 0.9, 2],
    [Date.UTC(2024, 2, 1), 0.9, 1, 0.8, 0.95, 1],
  ]);
});

test('resampling to the same timeframe keeps every bar', () => {
  assert.deepEqual(rows(resampleOhlcv(hourly, '1h')), rows(hourly));
});

test('targets that are not a whole multiple of the source are refused', () => {
  for (const tf of ['90m', '30m', '7m']) {
    assert.throws(() => resampleOhlcv(hourly, tf), (e: unknown) => e instanceof DataError && e.code === 'DATA_INVALID' && /cannot resample T from 1h/.test(e.message), tf);
  }
});

test('request dates without a zone are UTC whatever the process time zone', async () => {
  const { parseUtcDate } = await import('../../../src/domain/data/date-range.js');
  assert.equal(parseUtcDate('2024-01-01'), Date.UTC(2024, 0, 1));
  assert.equal(parseUtcDate('2024-01-01T12:30'), Date.UTC(2024, 0, 1, 12, 30));
  assert.equal(parseUtcDate('2024-01-01 12:30:00'), Date.UTC(2024, 0, 1, 12, 30));
  assert.equal(parseUtcDate('2024-01-01T12:30:00+02:00'), Date.UTC(2024, 0, 1, 10, 30));
  assert.ok(Number.isNaN(parseUtcDate('yesterday')));
});
