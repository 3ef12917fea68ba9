import { DataError } from './data-error.js';
import { assertSymbol, assertTimeframe } from './data-files.js';
import type { OhlcvSeries } from './ohlcv.js';
import { describeLocation, validateOhlcv } from './ohlcv-validation.js';
import { daysFromCivil, parseUtcTimestamp } from './utc-time.js';

/** The one header a canonical OHLCV file may have. */
export const OHLCV_CSV_HEADER = 'date,open,high,low,close,volume';

const FIELDS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const DAY_MS = 86_400_000;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Options for {@link parseOhlcvCsv}. */
export interface ParseOhlcvCsvOptions {
  readonly symbol: string;
  readonly timeframe: string;
  /** File name or path used in error messages. @defaultValue 'input' */
  readonly source?: string;
}

function decode(bytes: Uint8Array, from: number, to: number): string {
  return new TextDecoder().decode(bytes.subarray(from, to));
}

function rowError(options: ParseOhlcvCsvOptions, line: number, field: string | undefined, what: string): DataError {
  const { source: file, symbol, timeframe } = options;
  return new DataError('DATA_INVALID', `${describeLocation(file, line)}: ${what}`, { file, line, field, symbol, timeframe });
}

/** Explains why the row `bytes[from..to)` on `line` did not parse. Only called on failure. */
function reportBadRow(bytes: Uint8Array, options: ParseOhlcvCsvOptions, line: number, from: number, to: number): never {
  const row = decode(bytes, from, to);
  const fields = row.split(',');
  if (fields.length !== 6) throw rowError(options, line, undefined, `expected 6 fields (${OHLCV_CSV_HEADER}), found ${fields.length}`);
  const date = fields[0] as string;
  if (Number.isNaN(parseUtcTimestamp(date))) {
    const why = Number.isNaN(parseUtcTimestamp(date, { assumeUtc: true }))
      ? `invalid date '${date}' (expected ISO-8601 UTC like 2020-01-02T13:00:00Z)`
      : `date '${date}' has no time zone; canonical files use UTC with a Z suffix, e.g. 2020-01-02T13:00:00Z`;
    throw rowError(options, line, 'date', why);
  }
  for (let k = 1; k < 6; k++) {
    const raw = fields[k] as string;
    const v = raw.trim() === '' ? NaN : Number(raw);
    if (!Number.isFinite(v)) throw rowError(options, line, FIELDS[k], `invalid ${FIELDS[k]} '${raw}' (expected a finite number)`);
  }
  throw rowError(options, line, undefined, `cannot parse row '${row}'`);
}

/** `Number()` of `bytes[from..to)` when it is a non-empty finite number, else NaN. The slow path. */
function slowNumber(bytes: Uint8Array, from: number, to: number): number {
  const s = decode(bytes, from, to);
  const v = s.trim() === '' ? NaN : Number(s);
  return Number.isFinite(v) ? v : NaN;
}

/** Index of the first comma in `bytes[from..to)`, or `to`. */
function commaAt(bytes: Uint8Array, from: number, to: number): number {
  const i = bytes.indexOf(COMMA, from);
  return i < 0 || i > to ? to : i;
}

/**
 * Parses a canonical OHLCV CSV (header exactly `date,open,high,low,close,volume`, one bar per
 * row, `date` = bar open time as ISO-8601 UTC like `2020-01-02T13:00:00Z`) and validates it.
 * Accepts the text or its UTF-8 bytes (what `readFileSync(path)` returns; parsing bytes skips decoding).
 *
 * Blank lines and `\r\n` line ends are tolerated. Throws `DATA_INVALID` naming the 1-based line
 * and field of the first problem, or `DATA_EMPTY` when there are no rows.
 */
export function parseOhlcvCsv(input: string | Uint8Array, options: ParseOhlcvCsvOptions): OhlcvSeries {
  const { symbol, timeframe } = options;
  const file = options.source;
  assertSymbol(symbol);
  assertTimeframe(timeframe);
  const b = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const len = b.length;

  let pos = len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0; // BOM
  let eol = b.indexOf(LF, pos);
  if (eol < 0) eol = len;
  const header = decode(b, pos, eol).replace(/\r$/, '');
  if (header !== OHLCV_CSV_HEADER) {
    if (decode(b, 0, len).trim() === '') {
      throw new DataError('DATA_EMPTY', `${describeLocation(file, undefined)} is empty`, { file, symbol, timeframe });
    }
    throw rowError(options, 1, undefined, `expected header '${OHLCV_CSV_HEADER}', found '${header}' (to convert another CSV layout use \`ktrdr data import\`)`);
  }

  // Upper bound on the number of rows: one per remaining newline, plus a last unterminated line.
  let capacity = 1;
  for (let p = b.indexOf(LF, eol + 1); p >= 0; p = b.indexOf(LF, p + 1)) capacity++;
  const time = new Float64Array(capacity);
  const open = new Float64Array(capacity);
  const high = new Float64Array(capacity);
  const low = new Float64Array(capacity);
  const close = new Float64Array(capacity);
  const volume = new Float64Array(capacity);
  const lines = new Int32Array(capacity);

  // Hot loop: no strings, no closures; each row is decoded by small functions V8 optimises
  // early. Every problem is diagnosed afterwards by reportBadRow.
  const cols: Columns = { time, open, high, low, close, volume };
  const dayCache = new Float64Array([-1, NaN]); // [yyyymmdd, its epoch ms]: hourly files repeat a date 24 times
  let n = 0;
  let line = 1;
  pos = eol + 1;
  while (pos < len) {
    line++;
    eol = b.indexOf(LF, pos);
    if (eol < 0) eol = len;
    let end = eol;
    if (end > pos && b[end - 1] === CR) end--;
    if (end > pos) {
      if (!parseRow(b, pos, end, n, cols, dayCache)) reportBadRow(b, options, line, pos, end);
      lines[n] = line;
      n++;
    }
    pos = eol + 1;
  }

  if (n === 0) {
    throw new DataError('DATA_EMPTY', `${describeLocation(file, undefined)} has a header but no bars`, { file, symbol, timeframe });
  }
  const fit = (a: Float64Array): Float64Array => (a.length === n ? a : a.slice(0, n));
  const series: OhlcvSeries = {
    symbol,
    timeframe,
    length: n,
    time: fit(time),
    open: fit(open),
    high: fit(high),
    low: fit(low),
    close: fit(close),
    volume: fit(volume),
  };
  validateOhlcv(series, { file, lines });
  return series;
}

interface Columns {
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** Decodes the row `b[pos..end)` into bar `n` of `cols`; false when anything is off. */
function parseRow(b: Uint8Array, pos: number, end: number, n: number, cols: Columns, dayCache: Float64Array): boolean {
  const c1 = commaAt(b, pos, end);
  const c2 = commaAt(b, c1 + 1, end);
  const c3 = commaAt(b, c2 + 1, end);
  const c4 = commaAt(b, c3 + 1, end);
  const c5 = commaAt(b, c4 + 1, end);
  if (c5 >= end || commaAt(b, c5 + 1, end) < end) return false;
  let t = c1 - pos === 20 ? canonicalTimestamp(b, pos, dayCache) : NaN;
  if (t !== t) t = parseUtcTimestamp(decode(b, pos, c1));
  const o = decimal(b, c1 + 1, c2);
  const h = decimal(b, c2 + 1, c3);
  const l = decimal(b, c3 + 1, c4);
  const c = decimal(b, c4 + 1, c5);
  const v = decimal(b, c5 + 1, end);
  // NaN !== NaN: one comparison per value catches every failure.
  if (t !== t || o !== o || h !== h || l !== l || c !== c || v !== v) return false;
  cols.time[n] = t;
  cols.open[n] = o;
  cols.high[n] = h;
  cols.low[n] = l;
  cols.close[n] = c;
  cols.volume[n] = v;
  return true;
}

/**
 * Plain decimals (`[-]digits[.digits]`, at most 15 significant digits) are decoded inline: the
 * digits form an exact integer and one division by an exact power of ten rounds once, so the
 * result equals `Number(text)`. Anything else goes through `Number` (NaN when empty or not finite).
 */
function decimal(b: Uint8Array, from: number, to: number): number {
  let p = from;
  const neg = b[p] === 45;
  if (neg) p++;
  let mantissa = 0;
  let count = 0;
  let decimals = -1;
  for (; p < to; p++) {
    const ch = b[p] as number;
    const d = ch - 48;
    if ((d >>> 0) <= 9) {
      mantissa = mantissa * 10 + d;
      count++;
      if (decimals >= 0) decimals++;
    } else if (ch === 46 && decimals < 0) decimals = 0;
    else return slowNumber(b, from, to);
  }
  if (count === 0 || count > 15) return slowNumber(b, from, to);
  const v = decimals > 0 ? mantissa / (POW10[decimals] as number) : mantissa;
  return neg ? -v : v;
}

/** `YYYY-MM-DDTHH:MM:SSZ` at `b[i..i+20)` to epoch ms, or NaN (the caller then tries other ISO forms). */
function canonicalTimestamp(b: Uint8Array, i: number, dayCache: Float64Array): number {
  if (b[i + 4] !== 45 || b[i + 7] !== 45 || b[i + 10] !== 84 || b[i + 13] !== 58 || b[i + 16] !== 58 || b[i + 19] !== 90) return NaN;
  const y0 = (b[i] as number) - 48, y1 = (b[i + 1] as number) - 48, y2 = (b[i + 2] as number) - 48, y3 = (b[i + 3] as number) - 48;
  const m0 = (b[i + 5] as number) - 48, m1 = (b[i + 6] as number) - 48, d0 = (b[i + 8] as number) - 48, d1 = (b[i + 9] as number) - 48;
  const h0 = (b[i + 11] as number) - 48, h1 = (b[i + 12] as number) - 48, n0 = (b[i + 14] as number) - 48, n1 = (b[i + 15] as number) - 48;
  const s0 = (b[i + 17] as number) - 48, s1 = (b[i + 18] as number) - 48;
  // `x >>> 0 > 9` is true for every non-digit (negative differences wrap to huge values).
  if (
    (y0 >>> 0) > 9 || (y1 >>> 0) > 9 || (y2 >>> 0) > 9 || (y3 >>> 0) > 9 || (m0 >>> 0) > 9 || (m1 >>> 0) > 9 ||
    (d0 >>> 0) > 9 || (d1 >>> 0) > 9 || (h0 >>> 0) > 9 || (h1 >>> 0) > 9 || (n0 >>> 0) > 9 || (n1 >>> 0) > 9 ||
    (s0 >>> 0) > 9 || (s1 >>> 0) > 9
  ) {
    return NaN;
  }
  const hour = h0 * 10 + h1;
  const minute = n0 * 10 + n1;
  const second = s0 * 10 + s1;
  if (hour > 23 || minute > 59 || second > 59) return NaN;
  const ymd = (y0 * 1000 + y1 * 100 + y2 * 10 + y3) * 10_000 + (m0 * 10 + m1) * 100 + d0 * 10 + d1;
  if (ymd !== dayCache[0]) {
    dayCache[0] = ymd;
    dayCache[1] = dayMsOf(y0 * 1000 + y1 * 100 + y2 * 10 + y3, m0 * 10 + m1, d0 * 10 + d1);
  }
  return (dayCache[1] as number) + hour * 3_600_000 + minute * 60_000 + second * 1000;
}

/** Epoch ms of a calendar date, or NaN when it does not exist (month 13, Feb 30). */
function dayMsOf(year: number, month: number, day: number): number {
  if (month < 1 || month > 12 || day < 1) return NaN;
  const dim = month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day > dim ? NaN : daysFromCivil(year, month, day) * DAY_MS;
}
