import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOhlcvCsv } from '../../../src/domain/data/csv-parser.js';
import { DataError } from '../../../src/domain/data/data-error.js';

const HEADER = 'date,open,high,low,close,volume';
const opts = { symbol: 'EURUSD', timeframe: '1h', source: 'EURUSD_1h.csv' };

function csv(...rows: string[]): string {
  return [HEADER, ...rows].join('\n') + '\n';
}

/** Asserts parsing throws a DataError with this code, line and a message matching `pattern`. */
function assertDataError(text: string, code: string, line: number | undefined, pattern: RegExp, field?: string): void {
  assert.throws(
    () => parseOhlcvCsv(text, opts),
    (err: unknown) => {
      assert.ok(err instanceof DataError, `expected DataError, got ${String(err)}`);
      assert.equal(err.code, code);
      assert.equal(err.context.line, line);
      assert.equal(err.context.file, 'EURUSD_1h.csv');
      if (field !== undefined) assert.equal(err.context.field, field);
      assert.match(err.message, pattern);
      if (line !== undefined) assert.match(err.message, new RegExp(`EURUSD_1h\\.csv line ${line}\\b`));
      return true;
    },
  );
}

describe('parseOhlcvCsv: valid input', () => {
  test('parses columns into typed arrays with epoch-ms open times', () => {
    const s = parseOhlcvCsv(
      csv('2020-01-02T13:00:00Z,1.1,1.2,1.05,1.15,100', '2020-01-02T14:00:00Z,1.15,1.25,1.1,1.2,250.5'),
      opts,
    );
    assert.equal(s.symbol, 'EURUSD');
    assert.equal(s.timeframe, '1h');
    assert.equal(s.length, 2);
    // 2020-01-02 is day 18263 since the epoch (50 years incl. 12 leap days + 1 day).
    const day = (365 * 50 + 12 + 1) * 86_400_000;
    assert.deepEqual([...s.time], [day + 13 * 3_600_000, day + 14 * 3_600_000]);
    assert.deepEqual([...s.open], [1.1, 1.15]);
    assert.deepEqual([...s.high], [1.2, 1.25]);
    assert.deepEqual([...s.low], [1.05, 1.1]);
    assert.deepEqual([...s.close], [1.15, 1.2]);
    assert.deepEqual([...s.volume], [100, 250.5]);
    assert.ok(s.time instanceof Float64Array && s.volume instanceof Float64Array);
  });

  test('accepts BOM, CRLF, blank lines, a missing final newline, offsets, milliseconds and date-only rows', () => {
    const text =
      '\ufeff' + HEADER + '\r\n' +
      '2020-01-02,1,2,0.5,1.5,0\r\n' +
      '\r\n' +
      '2020-01-02T01:00:00.250Z,1,2,0.5,1.5,1e3\r\n' +
      '2020-01-02T03:00:00+01:00,1,2,0.5,1.5,-0\r\n' +
      '2020-01-02T03:30:00-0100,1,2,0.5,1.5,7';
    const s = parseOhlcvCsv(text, { symbol: 'X', timeframe: '1h' });
    assert.equal(s.length, 4);
    assert.deepEqual([...s.time], [
      Date.UTC(2020, 0, 2),
      Date.UTC(2020, 0, 2, 1, 0, 0, 250),
      Date.UTC(2020, 0, 2, 2),
      Date.UTC(2020, 0, 2, 4, 30),
    ]);
    assert.deepEqual([...s.volume], [0, 1000, -0, 7]);
  });

  test('number fast path agrees with Number() on many random decimals', () => {
    // Independent oracle: the JS number parser.
    let seed = 12345;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const rows: string[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const digits = 1 + Math.floor(rnd() * 17); // includes > 15 digits (slow path)
      let mantissa = '';
      for (let k = 0; k < digits; k++) mantissa += String(Math.floor(rnd() * 10));
      const point = Math.floor(rnd() * (digits + 1));
      let text = point === digits ? mantissa : `${mantissa.slice(0, point) || '0'}.${mantissa.slice(point)}`;
      if (Number(text) === 0) text = '1' + text;
      expected.push(Number(text));
      const t = new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString().replace('.000Z', 'Z');
      rows.push(`${t},${text},${text},${text},${text},${text}`);
    }
    const s = parseOhlcvCsv(csv(...rows), opts);
    for (let i = 0; i < expected.length; i++) {
      assert.equal(s.close[i], expected[i], `row ${i}`);
      assert.equal(s.volume[i], expected[i], `row ${i}`);
    }
  });
});

describe('parseOhlcvCsv: errors name the line and the field', () => {
  const good = '2020-01-02T13:00:00Z,1.1,1.2,1.0,1.15,100';

  test('bad header', () => {
    assertDataError('Date,Open,High,Low,Close\n' + good, 'DATA_INVALID', 1, /expected header 'date,open,high,low,close,volume', found 'Date,Open,High,Low,Close'/);
  });

  test('empty file and header-only file are DATA_EMPTY', () => {
    assertDataError('', 'DATA_EMPTY', undefined, /is empty/);
    assertDataError(HEADER + '\n', 'DATA_EMPTY', undefined, /no bars/);
  });

  test('unparsable price names the field and the value', () => {
    assertDataError(csv(good, '2020-01-02T14:00:00Z,1.1,abc,1.0,1.15,100'), 'DATA_INVALID', 3, /invalid high 'abc'/, 'high');
    assertDataError(csv(good, good.replace('13:', '14:'), '2020-01-02T15:00:00Z,1.1,1.2,1.0,,100'), 'DATA_INVALID', 4, /invalid close ''/, 'close');
  });

  test('NaN and Infinity prices are rejected', () => {
    assertDataError(csv('2020-01-02T14:00:00Z,NaN,1.2,1.0,1.15,100'), 'DATA_INVALID', 2, /invalid open 'NaN'/, 'open');
    assertDataError(csv('2020-01-02T14:00:00Z,1.1,Infinity,1.0,1.15,100'), 'DATA_INVALID', 2, /invalid high 'Infinity'/, 'high');
  });

  test('wrong number of fields', () => {
    assertDataError(csv(good, '2020-01-02T14:00:00Z,1.1,1.2,1.0,1.15'), 'DATA_INVALID', 3, /expected 6 fields .* found 5/);
    assertDataError(csv('2020-01-02T14:00:00Z,1.1,1.2,1.0,1.15,100,7'), 'DATA_INVALID', 2, /found 7/);
  });

  test('unparsable and zone-less dates', () => {
    assertDataError(csv(good, '2020-13-02T14:00:00Z,1.1,1.2,1.0,1.15,100'), 'DATA_INVALID', 3, /invalid date '2020-13-02T14:00:00Z'/, 'date');
    assertDataError(csv('2020-02-30T14:00:00Z,1.1,1.2,1.0,1.15,100'), 'DATA_INVALID', 2, /invalid date/, 'date');
    assertDataError(csv('02/01/2020 14:00,1.1,1.2,1.0,1.15,100'), 'DATA_INVALID', 2, /invalid date '02\/01\/2020 14:00'/, 'date');
    assertDataError(csv('2020-01-02T14:00:00,1.1,1.2,1.0,1.15,100'), 'DATA_INVALID', 2, /has no time zone/, 'date');
  });

  test('line numbers count blank lines', () => {
    const text = `${HEADER}\n${good}\n\n\n2020-01-02T14:00:00Z,x,1.2,1.0,1.15,100\n`;
    assertDataError(text, 'DATA_INVALID', 5, /invalid open 'x'/);
  });

  test('duplicate and out-of-order dates', () => {
    assertDataError(csv(good, '2020-01-02T14:00:00Z,1.1,1.2,1.0,1.15,1', good), 'DATA_INVALID', 4, /not after the previous row's 2020-01-02T14:00:00Z \(line 3\)/, 'date');
    assertDataError(csv(good, good), 'DATA_INVALID', 3, /duplicate date 2020-01-02T13:00:00Z \(same as line 2\)/, 'date');
  });

  test('inconsistent OHLC bars', () => {
    const t = '2020-01-02T14:00:00Z';
    assertDataError(csv(good, `${t},1.1,1.0,1.2,1.1,1`), 'DATA_INVALID', 3, /high 1 is below low 1.2/, 'high');
    assertDataError(csv(good, `${t},1.3,1.2,1.0,1.1,1`), 'DATA_INVALID', 3, /high 1.2 is below open 1.3/, 'high');
    assertDataError(csv(good, `${t},1.1,1.2,1.0,1.25,1`), 'DATA_INVALID', 3, /high 1.2 is below close 1.25/, 'high');
    assertDataError(csv(good, `${t},0.9,1.2,1.0,1.1,1`), 'DATA_INVALID', 3, /low 1 is above open 0.9/, 'low');
    assertDataError(csv(good, `${t},1.1,1.2,1.0,0.95,1`), 'DATA_INVALID', 3, /low 1 is above close 0.95/, 'low');
    assertDataError(csv(good, `${t},1.1,1.2,-1.0,1.1,1`), 'DATA_INVALID', 3, /low -1 is not a finite positive price/, 'low');
  });

  test('negative volume', () => {
    assertDataError(csv(good, '2020-01-02T14:00:00Z,1.1,1.2,1.0,1.15,-5'), 'DATA_INVALID', 3, /negative volume -5/, 'volume');
  });

  test('invalid symbol and timeframe', () => {
    for (const symbol of ['EUR/USD', '../etc', '', 'EUR USD']) {
      assert.throws(() => parseOhlcvCsv(csv(good), { symbol, timeframe: '1h' }), (e: unknown) => e instanceof DataError && e.code === 'DATA_INVALID' && /invalid symbol/.test(e.message));
    }
    for (const timeframe of ['1x', 'h', '0h', '1.5h', '']) {
      assert.throws(() => parseOhlcvCsv(csv(good), { symbol: 'EURUSD', timeframe }), (e: unknown) => e instanceof DataError && e.code === 'DATA_INVALID' && /invalid timeframe/.test(e.message));
    }
  });
});
