import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DataError } from '../../../src/domain/data/data-error.js';
import { listAvailableData, ohlcvPath } from '../../../src/domain/data/data-files.js';
import { loadOhlcv } from '../../../src/domain/data/ohlcv-loader.js';

const HOUR = 3_600_000;

/** A canonical 1h file: `hours` bars from `start`, skipping nothing, close = open + 0.0001. */
function hourlyCsv(start: number, hours: number): string {
  const rows = ['date,open,high,low,close,volume'];
  for (let i = 0; i < hours; i++) {
    const t = new Date(start + i * HOUR).toISOString().replace('.000Z', 'Z');
    const o = (1 + i / 10_000).toFixed(4);
    rows.push(`${t},${o},${(1.01 + i / 10_000).toFixed(4)},${(0.99 + i / 10_000).toFixed(4)},${o},${i}`);
  }
  return rows.join('\n') + '\n';
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-data-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function isDataError(code: string, pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof DataError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('ohlcvPath and listAvailableData', () => {
  test('ohlcvPath builds {dataDir}/{SYMBOL}_{TIMEFRAME}.csv and rejects unsafe symbols', () => {
    assert.equal(ohlcvPath('/d', 'EURUSD', '1h'), join('/d', 'EURUSD_1h.csv'));
    assert.equal(ohlcvPath('/d', 'BRK.B', '1d'), join('/d', 'BRK.B_1d.csv'));
    assert.throws(() => ohlcvPath('/d', '../x', '1h'), isDataError('DATA_INVALID', /invalid symbol '\.\.\/x'/));
    assert.throws(() => ohlcvPath('/d', 'EURUSD', '1y'), isDataError('DATA_INVALID', /invalid timeframe '1y'/));
  });

  test('lists matching files sorted by symbol then bar length, ignoring others', (t) => {
    const dir = tempDir(t);
    for (const name of ['GBPUSD_1d.csv', 'EURUSD_1d.csv', 'EURUSD_15m.csv', 'EURUSD_4h.csv', 'README.md', 'notes.csv', 'EURUSD_1x.csv', '.EURUSD_1h.csv.1.tmp']) {
      writeFileSync(join(dir, name), '');
    }
    mkdirSync(join(dir, 'USDJPY_1h.csv')); // a directory, not a file
    assert.deepEqual(
      listAvailableData(dir).map((a) => `${a.symbol} ${a.timeframe}`),
      ['EURUSD 15m', 'EURUSD 4h', 'EURUSD 1d', 'GBPUSD 1d'],
    );
    assert.equal(listAvailableData(dir)[0]?.path, join(dir, 'EURUSD_15m.csv'));
  });

  test('a missing data directory is DATA_NOT_FOUND', () => {
    assert.throws(() => listAvailableData('/nonexistent/ktrdr-data'), isDataError('DATA_NOT_FOUND', /data directory '\/nonexistent\/ktrdr-data'/));
  });
});

describe('loadOhlcv', () => {
  const start = Date.UTC(2024, 11, 30, 0); // Monday 2024-12-30
  const setup = (t: { after: (fn: () => void) => void }): string => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'EURUSD_1h.csv'), hourlyCsv(start, 72)); // 2024-12-30 00:00 .. 2025-01-01 23:00
    writeFileSync(join(dir, 'EURUSD_1d.csv'), 'date,open,high,low,close,volume\n2024-12-30T00:00:00Z,1,1,1,1,1\n');
    writeFileSync(join(dir, 'GBPUSD_4h.csv'), 'date,open,high,low,close,volume\n2024-12-30T00:00:00Z,1,1,1,1,1\n');
    return dir;
  };

  test('loads the whole file', (t) => {
    const dir = setup(t);
    const s = loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '1h' });
    assert.equal(s.length, 72);
    assert.equal(s.time[0], start);
    assert.equal(s.time[71], start + 71 * HOUR);
    assert.equal(s.volume[71], 71);
  });

  test('a date-only endDate includes that whole day; startDate is inclusive', (t) => {
    const dir = setup(t);
    const s = loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '1h', startDate: '2024-12-31', endDate: '2024-12-31' });
    assert.equal(s.length, 24);
    assert.equal(s.time[0], Date.UTC(2024, 11, 31, 0));
    assert.equal(s.time[23], Date.UTC(2024, 11, 31, 23));
    const open = loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '1h', endDate: '2024-12-30' });
    assert.equal(open.length, 24);
    const tail = loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '1h', startDate: '2025-01-01T12:00:00Z' });
    assert.equal(tail.length, 12);
    assert.equal(tail.time[0], Date.UTC(2025, 0, 1, 12));
  });

  test('full timestamps bound exactly, zone-less ones are UTC', (t) => {
    const dir = setup(t);
    const s = loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '1h', startDate: '2024-12-30T05:00:00Z', endDate: '2024-12-30T07:00' });
    assert.deepEqual([...s.time], [5, 6, 7].map((h) => Date.UTC(2024, 11, 30, h)));
    // Filtered arrays are copies of just the kept bars.
    assert.equal(s.open.length, 3);
    assert.equal(s.open[0], 1.0005);
  });

  test('an empty range is DATA_EMPTY and names the range and the file\'s actual span', (t) => {
    const dir = setup(t);
    assert.throws(
      () => loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '1h', startDate: '2023-01-01', endDate: '2023-12-31' }),
      isDataError('DATA_EMPTY', /between 2023-01-01 and 2023-12-31.*covers 2024-12-30T00:00:00Z to 2025-01-01T23:00:00Z/),
    );
  });

  test('bad bounds are DATA_INVALID', (t) => {
    const dir = setup(t);
    assert.throws(() => loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '1h', startDate: '31/12/2024' }), isDataError('DATA_INVALID', /invalid startDate '31\/12\/2024'/));
    assert.throws(() => loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '1h', startDate: '2025-01-01', endDate: '2024-12-31' }), isDataError('DATA_INVALID', /is after endDate/));
  });

  test('a missing file names the path and what is available', (t) => {
    const dir = setup(t);
    assert.throws(
      () => loadOhlcv({ dataDir: dir, symbol: 'EURUSD', timeframe: '4h' }),
      (err: unknown) => {
        isDataError('DATA_NOT_FOUND', /EURUSD_4h\.csv' does not exist/)(err);
        const e = err as DataError;
        assert.match(e.message, /EURUSD is available in 1h, 1d/);
        assert.match(e.message, /GBPUSD 4h/);
        assert.equal(e.context.file, join(dir, 'EURUSD_4h.csv'));
        return true;
      },
    );
    assert.throws(() => loadOhlcv({ dataDir: dir, symbol: 'USDJPY', timeframe: '1h' }), isDataError('DATA_NOT_FOUND', /available: EURUSD 1h, EURUSD 1d, GBPUSD 4h/));
    assert.throws(() => loadOhlcv({ dataDir: join(dir, 'nope'), symbol: 'EURUSD', timeframe: '1h' }), isDataError('DATA_NOT_FOUND', /data directory .* does not exist/));
  });

  test('rejects a bad symbol before touching the file system', (t) => {
    const dir = setup(t);
    assert.throws(() => loadOhlcv({ dataDir: dir, symbol: '../EURUSD', timeframe: '1h' }), isDataError('DATA_INVALID', /invalid symbol/));
  });

  test('errors in a file carry its path and the line', (t) => {
    const dir = setup(t);
    writeFileSync(join(dir, 'BAD_1h.csv'), 'date,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,1,1,1,1\n2024-01-01T01:00:00Z,1,0.5,1,1,1\n');
    assert.throws(
      () => loadOhlcv({ dataDir: dir, symbol: 'BAD', timeframe: '1h' }),
      (err: unknown) => {
        isDataError('DATA_INVALID', /BAD_1h\.csv line 3: high 0\.5 is below low 1/)(err);
        assert.equal((err as DataError).context.line, 3);
        return true;
      },
    );
  });
});
