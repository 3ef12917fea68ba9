import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ohlcvQualityWarnings } from '../../../src/domain/data/data-quality.js';
import { importOhlcvCsv } from '../../../src/domain/data/import.js';
import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';

const DAY = 86_400_000;
function series(rows: [number, number, number, number][], times?: number[]): OhlcvSeries {
  const n = rows.length;
  const col = (k: number) => Float64Array.from(rows, (r) => r[k] as number);
  return {
    symbol: 'X', timeframe: '1d', length: n,
    time: Float64Array.from(times ?? rows.map((_, i) => Date.UTC(2020, 0, 1) + i * DAY)),
    open: col(0), high: col(1), low: col(2), close: col(3), volume: new Float64Array(n),
  };
}

test('healthy data gives no warning', () => {
  const rows = Array.from({ length: 40 }, (_, i): [number, number, number, number] => [100 + i, 102 + i, 99 + i, 100.5 + i]);
  assert.deepEqual(ohlcvQualityWarnings(series(rows)), []);
});

test('close-only bars, opens copied from closes, short gaps and too few bars are each reported', () => {
  const flat = Array.from({ length: 40 }, (_, i): [number, number, number, number] => [100 + i, 100 + i, 100 + i, 100 + i]);
  const w = ohlcvQualityWarnings(series(flat));
  assert.equal(w.length, 1);
  assert.match(w[0]!, /40 of 40 bars \(100\.0 %\) have open = high = low = close/);

  const chained: [number, number, number, number][] = [];
  let prev = 100;
  for (let i = 0; i < 40; i++) {
    const c = prev * (i % 2 ? 1.01 : 0.99);
    chained.push([prev, Math.max(prev, c) + 1, Math.min(prev, c) - 1, c]);
    prev = c;
  }
  assert.match(ohlcvQualityWarnings(series(chained)).join('\n'), /open equals the previous close on 39 of 39 bars/);

  const rows = Array.from({ length: 10 }, (_, i): [number, number, number, number] => [100 + i, 102 + i, 99 + i, 100.5 + i]);
  const times = rows.map((_, i) => Date.UTC(2020, 0, 1) + i * DAY - (i === 5 ? DAY / 2 : 0));
  const w2 = ohlcvQualityWarnings(series(rows, times)).join('\n');
  assert.match(w2, /1 gap between bars is shorter than one 1d bar/);
  assert.match(w2, /only 10 bars: annualised metrics/);
});

test('import returns the warnings and still writes the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-quality-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lines = ['date,open,high,low,close'];
  for (let i = 0; i < 12; i++) lines.push(`2020-01-${String(i + 1).padStart(2, '0')},${100 + i},${100 + i},${100 + i},${100 + i}`);
  writeFileSync(join(dir, 'in.csv'), lines.join('\n'));
  const r = importOhlcvCsv({ file: join(dir, 'in.csv'), symbol: 'X', timeframe: '1d', dataDir: dir });
  assert.equal(r.rows, 12);
  assert.equal(r.warnings.length, 2, r.warnings.join('\n'));
  assert.match(r.warnings[0]!, /open = high = low = close/);
  assert.match(r.warnings[1]!, /only 12 bars/);
});
