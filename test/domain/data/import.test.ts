import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DataError } from '../../../src/domain/data/data-error.js';
import { importOhlcvCsv } from '../../../src/domain/data/import.js';
import { parseFlexibleTimestamp } from '../../../src/domain/data/utc-time.js';
import { loadOhlcv } from '../../../src/domain/data/ohlcv-loader.js';

function workspace(t: { after: (fn: () => void) => void }): { dir: string; dataDir: string; input: (name: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-import-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  return {
    dir,
    dataDir,
    input: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
  };
}

const H = 3_600_000;
const t0 = Date.UTC(2020, 0, 2, 13); // 2020-01-02T13:00:00Z, epoch seconds 1577970000

/** The three bars every hourly sample below encodes, in canonical form. */
const EXPECTED_1H =
  'date,open,high,low,close,volume\n' +
  '2020-01-02T13:00:00Z,1.1,1.2,1.05,1.15,100\n' +
  '2020-01-02T14:00:00Z,1.15,1.25,1.1,1.2,200\n' +
  '2020-01-02T15:00:00Z,1.2,1.3,1.15,1.25,300\n' +
  '2020-01-02T16:00:00Z,1.25,1.35,1.2,1.3,400\n';

function isDataError(code: string, pattern: RegExp, line?: number) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof DataError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    if (line !== undefined) assert.equal(err.context.line, line);
    return true;
  };
}

describe('importOhlcvCsv: messy formats become the canonical file', () => {
  const formats: Array<[string, string]> = [
    [
      'ISO with Z, capitalised header, Adj Close',
      'Date,Open,High,Low,Close,Adj Close,Volume\n' +
        '2020-01-02T13:00:00Z,1.1,1.2,1.05,1.15,9,100\n2020-01-02T14:00:00Z,1.15,1.25,1.1,1.2,9,200\n' +
        '2020-01-02T15:00:00Z,1.2,1.3,1.15,1.25,9,300\n2020-01-02T16:00:00Z,1.25,1.35,1.2,1.3,9,400\n',
    ],
    [
      'descending rows, space-separated dates without zone, CRLF, short names',
      'timestamp,o,h,l,c,v\r\n' +
        '2020-01-02 16:00,1.25,1.35,1.2,1.3,400\r\n2020-01-02 15:00:00,1.2,1.3,1.15,1.25,300\r\n' +
        '2020-01-02 14:00,1.15,1.25,1.1,1.2,200\r\n2020-01-02 13:00,1.1,1.2,1.05,1.15,100\r\n',
    ],
    [
      'semicolons, decimal commas, separate Date and Time columns with dotted dates',
      'Date;Time;Open;High;Low;Close;Volume\n' +
        '2020.01.02;13:00;1,1;1,2;1,05;1,15;100\n2020.01.02;14:00;1,15;1,25;1,1;1,2;200\n' +
        '2020.01.02;15:00;1,2;1,3;1,15;1,25;300\n2020.01.02;16:00;1,25;1,35;1,2;1,3;400\n',
    ],
    [
      'tabs and epoch seconds',
      'time\topen\thigh\tlow\tclose\tvolume\n' +
        '1577970000\t1.1\t1.2\t1.05\t1.15\t100\n1577973600\t1.15\t1.25\t1.1\t1.2\t200\n' +
        '1577977200\t1.2\t1.3\t1.15\t1.25\t300\n1577980800\t1.25\t1.35\t1.2\t1.3\t400\n',
    ],
    [
      'epoch milliseconds, quoted fields, shuffled rows, column order changed',
      '"Volume","Close","Low","High","Open","Datetime"\n' +
        '"300","1.25","1.15","1.3","1.2","1577977200000"\n"100","1.15","1.05","1.2","1.1","1577970000000"\n' +
        '"400","1.3","1.2","1.35","1.25","1577980800000"\n"200","1.2","1.1","1.25","1.15","1577973600000"\n',
    ],
    [
      'ISO with offsets and fractional seconds',
      'datetime,open,high,low,close,volume\n' +
        '2020-01-02T14:00:00+01:00,1.1,1.2,1.05,1.15,100\n2020-01-02T09:00:00.000-05:00,1.15,1.25,1.1,1.2,200\n' +
        '2020-01-02T15:00:00.000000Z,1.2,1.3,1.15,1.25,300\n2020-01-02T16:00:00+0000,1.25,1.35,1.2,1.3,400\n',
    ],
    [
      'MetaTrader export with <TAGS>, tick volume and a spread column',
      '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<SPREAD>\n' +
        '2020.01.02\t13:00:00\t1.1\t1.2\t1.05\t1.15\t100\t3\n2020.01.02\t14:00:00\t1.15\t1.25\t1.1\t1.2\t200\t3\n' +
        '2020.01.02\t15:00:00\t1.2\t1.3\t1.15\t1.25\t300\t3\n2020.01.02\t16:00:00\t1.25\t1.35\t1.2\t1.3\t400\t3\n',
    ],
  ];

  for (const [name, text] of formats) {
    test(name, (t) => {
      const w = workspace(t);
      const result = importOhlcvCsv({ file: w.input('in.csv', '\ufeff' + text), symbol: 'EURUSD', timeframe: '1h', dataDir: w.dataDir });
      assert.equal(result.path, join(w.dataDir, 'EURUSD_1h.csv'));
      assert.equal(result.rows, 4);
      assert.equal(result.first, '2020-01-02T13:00:00Z');
      assert.equal(result.last, '2020-01-02T16:00:00Z');
      assert.equal(result.hasVolume, true);
      assert.equal(readFileSync(result.path, 'utf8'), EXPECTED_1H);
      const loaded = loadOhlcv({ dataDir: w.dataDir, symbol: 'EURUSD', timeframe: '1h' });
      assert.deepEqual([...loaded.time], [t0, t0 + H, t0 + 2 * H, t0 + 3 * H]);
    });
  }

  test('reports ignored columns; a file without volume gets volume 0; daily dates', (t) => {
    const w = workspace(t);
    const yahoo = 'Date,Open,High,Low,Close,Adj Close,Spread\n2020-01-03,1,2,0.5,1.5,1.4,1\n2020-01-02,1,2,0.5,1.5,1.4,1\n2020-01-01,1,2,0.5,1.5,1.4,1\n2019-12-31,1,2,0.5,1.5,1.4,1\n';
    const r = importOhlcvCsv({ file: w.input('y.csv', yahoo), symbol: 'SPY', timeframe: '1d', dataDir: w.dataDir });
    assert.deepEqual(r.ignoredColumns, ['Adj Close', 'Spread']);
    assert.equal(r.hasVolume, false);
    assert.equal(r.first, '2019-12-31T00:00:00Z');
    assert.equal(readFileSync(r.path, 'utf8').split('\n')[1], '2019-12-31T00:00:00Z,1,2,0.5,1.5,0');
  });
});

describe('importOhlcvCsv: validation', () => {
  test('duplicates are an error naming both lines, even in descending files', (t) => {
    const w = workspace(t);
    const text = 'date,open,high,low,close,volume\n2020-01-02 15:00,1,2,0.5,1,1\n2020-01-02 14:00,1,2,0.5,1,1\n2020-01-02 15:00,1,2,0.5,1,1\n';
    assert.throws(
      () => importOhlcvCsv({ file: w.input('d.csv', text), symbol: 'X', timeframe: '1h', dataDir: w.dataDir }),
      isDataError('DATA_INVALID', /d\.csv line 4: duplicate date 2020-01-02T15:00:00Z \(also on line 2\)/, 4),
    );
    assert.equal(existsSync(join(w.dataDir, 'X_1h.csv')), false);
  });

  test('OHLC errors point at the original line of a sorted-away row', (t) => {
    const w = workspace(t);
    const text = 'date,open,high,low,close,volume\n2020-01-02 16:00,1,2,0.5,1,1\n2020-01-02 15:00,1,2,0.5,1,1\n2020-01-02 14:00,1,0.9,0.5,1,1\n2020-01-02 13:00,1,2,0.5,1,1\n';
    assert.throws(
      () => importOhlcvCsv({ file: w.input('o.csv', text), symbol: 'X', timeframe: '1h', dataDir: w.dataDir }),
      isDataError('DATA_INVALID', /line 4: high 0\.9 is below open 1/, 4),
    );
  });

  test('unparsable values and dates name line and field', (t) => {
    const w = workspace(t);
    assert.throws(
      () => importOhlcvCsv({ file: w.input('a.csv', 'Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1\n2020-01-03,1,two,0.5,1\n'), symbol: 'X', timeframe: '1d', dataDir: w.dataDir }),
      isDataError('DATA_INVALID', /line 3: invalid high 'two'/, 3),
    );
    assert.throws(
      () => importOhlcvCsv({ file: w.input('b.csv', 'Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1\n03/01/2020,1,2,0.5,1\n'), symbol: 'X', timeframe: '1d', dataDir: w.dataDir }),
      isDataError('DATA_INVALID', /line 3: cannot parse date '03\/01\/2020'/, 3),
    );
    assert.throws(
      () => importOhlcvCsv({ file: w.input('c.csv', 'Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1,-3\n'), symbol: 'X', timeframe: '1d', dataDir: w.dataDir }),
      isDataError('DATA_INVALID', /line 2: negative volume -3/, 2),
    );
  });

  test('missing columns are named', (t) => {
    const w = workspace(t);
    assert.throws(
      () => importOhlcvCsv({ file: w.input('m.csv', 'Date,Open,High,Close\n2020-01-02,1,2,1\n'), symbol: 'X', timeframe: '1d', dataDir: w.dataDir }),
      isDataError('DATA_INVALID', /missing column\(s\) low/, 1),
    );
    assert.throws(
      () => importOhlcvCsv({ file: w.input('n.csv', 'when,open,high,low,close\nx,1,2,0.5,1\n'), symbol: 'X', timeframe: '1d', dataDir: w.dataDir }),
      isDataError('DATA_INVALID', /no date\/time column/, 1),
    );
  });

  test('a timeframe that does not match the bar spacing is refused', (t) => {
    const w = workspace(t);
    const daily = 'Date,Open,High,Low,Close\n' + ['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07'].map((d) => `${d},1,2,0.5,1`).join('\n');
    assert.throws(
      () => importOhlcvCsv({ file: w.input('d.csv', daily), symbol: 'X', timeframe: '1h', dataDir: w.dataDir }),
      isDataError('DATA_INVALID', /typically 1 days apart, which does not match timeframe '1h'/),
    );
    assert.equal(importOhlcvCsv({ file: join(w.dir, 'd.csv'), symbol: 'X', timeframe: '1d', dataDir: w.dataDir }).rows, 5);
  });

  test('refuses to overwrite unless asked; a missing input is DATA_NOT_FOUND', (t) => {
    const w = workspace(t);
    const file = w.input('ok.csv', 'Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1\n');
    importOhlcvCsv({ file, symbol: 'X', timeframe: '1d', dataDir: w.dataDir });
    const file2 = w.input('ok2.csv', 'Date,Open,High,Low,Close\n2020-01-02,1,3,0.5,1\n');
    assert.throws(() => importOhlcvCsv({ file: file2, symbol: 'X', timeframe: '1d', dataDir: w.dataDir }), isDataError('DATA_EXISTS', /already exists/));
    assert.match(readFileSync(join(w.dataDir, 'X_1d.csv'), 'utf8'), /,2,/);
    importOhlcvCsv({ file: file2, symbol: 'X', timeframe: '1d', dataDir: w.dataDir, overwrite: true });
    assert.match(readFileSync(join(w.dataDir, 'X_1d.csv'), 'utf8'), /,3,/);
    assert.throws(() => importOhlcvCsv({ file: join(w.dir, 'missing.csv'), symbol: 'Y', timeframe: '1d', dataDir: w.dataDir }), isDataError('DATA_NOT_FOUND', /missing\.csv/));
    assert.throws(() => importOhlcvCsv({ file, symbol: 'a/b', timeframe: '1d', dataDir: w.dataDir }), isDataError('DATA_INVALID', /invalid symbol/));
  });
});

test('parseFlexibleTimestamp agrees with Date.UTC on each accepted form', () => {
  const want = Date.UTC(2021, 6, 15, 9, 30, 5);
  for (const s of ['2021-07-15T09:30:05Z', '2021-07-15T09:30:05', '2021-07-15 09:30:05', '2021/07/15 09:30:05', '2021.07.15 09:30:05', '2021-07-15T11:30:05+02:00', '2021-07-15 09:30:05 UTC', '1626341405', '1626341405000']) {
    assert.equal(parseFlexibleTimestamp(s), want, s);
  }
  assert.equal(parseFlexibleTimestamp('2021-07-15 09:30'), Date.UTC(2021, 6, 15, 9, 30));
  for (const bad of ['', 'yesterday', '15/07/2021', '2021-07-15T25:00:00Z']) assert.ok(Number.isNaN(parseFlexibleTimestamp(bad)), bad);
});
