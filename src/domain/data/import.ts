import { existsSync, readFileSync } from 'node:fs';
import { writeOhlcvCsv } from './csv-writer.js';
import { DataError } from './data-error.js';
import { assertSymbol, assertTimeframe, ohlcvPath } from './data-files.js';
import type { OhlcvSeries } from './ohlcv.js';
import { ohlcvQualityWarnings } from './data-quality.js';
import { describeLocation, validateOhlcv } from './ohlcv-validation.js';
import { timeframeToMs } from './timeframe.js';
import { formatUtcTimestamp, parseFlexibleTimestamp } from './utc-time.js';

/** What to import with {@link importOhlcvCsv}. */
export interface ImportOhlcvCsvOptions {
  /** The user's CSV file. */
  readonly file: string;
  readonly symbol: string;
  readonly timeframe: string;
  /** Where the canonical `{SYMBOL}_{TIMEFRAME}.csv` is written. */
  readonly dataDir: string;
  /** Replace an existing canonical file. @defaultValue false */
  readonly overwrite?: boolean;
}

/** What {@link importOhlcvCsv} wrote. */
export interface ImportOhlcvCsvResult {
  /** The canonical file written. */
  readonly path: string;
  /** Number of bars written. */
  readonly rows: number;
  /** Open time of the first bar, ISO-8601 UTC. */
  readonly first: string;
  /** Open time of the last bar, ISO-8601 UTC. */
  readonly last: string;
  /** Input columns that were not used (e.g. `Adj Close`, `Spread`), as written in the header. */
  readonly ignoredColumns: string[];
  /** False when the input had no volume column; volume was then written as 0. */
  readonly hasVolume: boolean;
  /** Data-quality warnings ({@link ohlcvQualityWarnings}); the file is written anyway. */
  readonly warnings: string[];
}

/** Options for {@link normaliseOhlcvCsv}. */
export interface NormaliseOhlcvCsvOptions {
  readonly symbol: string;
  readonly timeframe: string;
  /** File name used in error messages. @defaultValue 'input' */
  readonly source?: string;
}

/** A parsed and validated foreign CSV plus what was learnt about its layout. */
export interface NormalisedOhlcv {
  readonly series: OhlcvSeries;
  readonly ignoredColumns: string[];
  readonly hasVolume: boolean;
}

type Role = 'datetime' | 'date' | 'time' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'ignore';

// Keys are header names after normaliseHeader(). Order within a role decides which of two
// candidate columns wins (e.g. `volume` beats `tick volume`).
const ALIASES: ReadonlyArray<readonly [string, Role]> = [
  ['timestamp', 'datetime'], ['datetime', 'datetime'], ['date time', 'datetime'], ['time stamp', 'datetime'],
  ['gmt time', 'datetime'], ['open time', 'datetime'],
  ['date', 'date'], ['day', 'date'],
  ['time', 'time'],
  ['open', 'open'], ['o', 'open'], ['open price', 'open'],
  ['high', 'high'], ['h', 'high'], ['high price', 'high'],
  ['low', 'low'], ['l', 'low'], ['low price', 'low'],
  ['close', 'close'], ['c', 'close'], ['close price', 'close'],
  ['volume', 'volume'], ['vol', 'volume'], ['v', 'volume'], ['tick volume', 'volume'], ['tickvol', 'volume'],
  ['adj close', 'ignore'], ['adjclose', 'ignore'], ['adjusted close', 'ignore'],
];
const ROLE_OF = new Map<string, Role>(ALIASES);
const PRIORITY = new Map<string, number>(ALIASES.map(([name], i) => [name, i]));

/** `"<Adj. Close>"` → `adj close`. */
function normaliseHeader(raw: string): string {
  return raw.trim().replace(/^["']|["']$/g, '').replace(/[<>]/g, '').toLowerCase().replace(/[\s_.\-/]+/g, ' ').trim();
}

function unquote(raw: string): string {
  const s = raw.trim();
  return s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34 ? s.slice(1, -1).trim() : s;
}

function detectDelimiter(header: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of ['\t', ';', ',']) {
    const count = header.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Parses a CSV in one of many common layouts into a validated, ascending series:
 * - delimiter `,`, `;` or tab (the most frequent in the header wins); `;`/tab files may use decimal commas;
 * - header names case-insensitive, with aliases: `timestamp`/`datetime`/`time`/`date` for the bar time,
 *   or separate `Date` + `Time` columns; `o`/`h`/`l`/`c`/`v`; `<OPEN>` MetaTrader style; `Adj Close` and
 *   unknown columns are ignored; a missing volume column gives volume 0;
 * - timestamps: ISO-8601 with or without `Z`/offset (no zone = UTC), `YYYY-MM-DD HH:MM[:SS]`,
 *   `YYYY.MM.DD`/`YYYY/MM/DD` dates, epoch seconds or milliseconds;
 * - rows in any order (typically descending) are sorted; a repeated timestamp is an error.
 *
 * Then applies the same validation as the loader. Errors name the input's 1-based line.
 */
export function normaliseOhlcvCsv(text: string, options: NormaliseOhlcvCsvOptions): NormalisedOhlcv {
  const { symbol, timeframe } = options;
  const file = options.source;
  assertSymbol(symbol);
  assertTimeframe(timeframe);
  const fail = (line: number | undefined, field: string | undefined, what: string): never => {
    throw new DataError('DATA_INVALID', `${describeLocation(file, line)}: ${what}`, { file, line, field, symbol, timeframe });
  };

  const rawLines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\n|\r/);
  const headerIndex = rawLines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new DataError('DATA_EMPTY', `${describeLocation(file, undefined)} is empty`, { file, symbol, timeframe });
  const headerLine = rawLines[headerIndex] as string;
  const delimiter = detectDelimiter(headerLine);
  const headers = headerLine.split(delimiter);

  // Map each column to a role; on a clash keep the alias listed first in ALIASES.
  const column: Partial<Record<Role, number>> = {};
  const chosen: Partial<Record<Role, string>> = {};
  const ignoredColumns: string[] = [];
  headers.forEach((raw, idx) => {
    const name = normaliseHeader(raw);
    const role = ROLE_OF.get(name);
    if (role === undefined || role === 'ignore') {
      if (name !== '') ignoredColumns.push(unquote(raw));
      return;
    }
    const prev = chosen[role];
    if (prev === undefined || (PRIORITY.get(name) as number) < (PRIORITY.get(prev) as number)) {
      if (prev !== undefined) ignoredColumns.push(unquote(headers[column[role] as number] as string));
      column[role] = idx;
      chosen[role] = name;
    } else if (prev === name) {
      fail(headerIndex + 1, name, `column '${unquote(raw)}' appears twice in the header`);
    } else {
      ignoredColumns.push(unquote(raw));
    }
  });

  // Bar time: one datetime column, or a date + time pair, or a lone date/time column holding full timestamps.
  let timeCols: number[];
  if (column.datetime !== undefined) {
    timeCols = [column.datetime];
    for (const r of ['date', 'time'] as const) if (column[r] !== undefined) ignoredColumns.push(unquote(headers[column[r]] as string));
  } else if (column.date !== undefined && column.time !== undefined) timeCols = [column.date, column.time];
  else if (column.date !== undefined) timeCols = [column.date];
  else if (column.time !== undefined) timeCols = [column.time];
  else {
    return fail(headerIndex + 1, 'date', `no date/time column in header '${headerLine}' (expected one of: date, time, timestamp, datetime, or Date + Time)`);
  }
  const missing = (['open', 'high', 'low', 'close'] as const).filter((r) => column[r] === undefined);
  if (missing.length > 0) fail(headerIndex + 1, missing[0], `missing column(s) ${missing.join(', ')} in header '${headerLine}'`);
  const priceCols = [column.open, column.high, column.low, column.close] as number[];
  const volumeCol = column.volume;
  const needed = Math.max(...timeCols, ...priceCols, volumeCol ?? 0) + 1;
  const decimalComma = delimiter !== ',';
  const names = ['open', 'high', 'low', 'close', 'volume'];

  const times: number[] = [];
  const values: number[][] = [[], [], [], [], []];
  const lineNos: number[] = [];
  for (let li = headerIndex + 1; li < rawLines.length; li++) {
    const rawLine = rawLines[li] as string;
    if (rawLine.trim() === '') continue;
    const line = li + 1;
    const fields = rawLine.split(delimiter);
    if (fields.length < needed) fail(line, undefined, `expected at least ${needed} fields, found ${fields.length}`);
    const timeText = timeCols.map((c) => unquote(fields[c] as string)).join(' ');
    const t = parseFlexibleTimestamp(timeText);
    if (Number.isNaN(t)) {
      fail(line, 'date', `cannot parse date '${timeText}' (accepted: ISO-8601, YYYY-MM-DD HH:MM[:SS], epoch seconds or milliseconds)`);
    }
    times.push(t);
    for (let k = 0; k < 5; k++) {
      const col = k < 4 ? priceCols[k] : volumeCol;
      let v = 0;
      if (col !== undefined) {
        let s = unquote(fields[col] as string);
        if (decimalComma && s.includes(',') && !s.includes('.')) s = s.replace(',', '.');
        v = s === '' ? NaN : Number(s);
        if (!Number.isFinite(v)) fail(line, names[k], `invalid ${names[k]} '${s}' (expected a finite number)`);
      }
      (values[k] as number[]).push(v);
    }
    lineNos.push(line);
  }
  const n = times.length;
  if (n === 0) throw new DataError('DATA_EMPTY', `${describeLocation(file, undefined)} has a header but no rows`, { file, symbol, timeframe });

  // Order rows by time. Already ascending or exactly descending is the common case: skip the sort.
  let order = Array.from({ length: n }, (_, i) => i);
  let ascending = true;
  let descending = true;
  for (let i = 1; i < n && (ascending || descending); i++) {
    const d = (times[i] as number) - (times[i - 1] as number);
    if (d < 0) ascending = false;
    if (d > 0) descending = false;
  }
  if (!ascending) order = descending ? order.reverse() : order.sort((a, b) => (times[a] as number) - (times[b] as number));
  for (let k = 1; k < n; k++) {
    const a = order[k - 1] as number;
    const b = order[k] as number;
    if (times[a] === times[b]) {
      const [first, second] = a < b ? [a, b] : [b, a];
      fail(lineNos[second], 'date', `duplicate date ${formatUtcTimestamp(times[b] as number)} (also on line ${lineNos[first]})`);
    }
  }

  const pick = (src: number[]): Float64Array => Float64Array.from(order, (i) => src[i] as number);
  const series: OhlcvSeries = {
    symbol,
    timeframe,
    length: n,
    time: pick(times),
    open: pick(values[0] as number[]),
    high: pick(values[1] as number[]),
    low: pick(values[2] as number[]),
    close: pick(values[3] as number[]),
    volume: pick(values[4] as number[]),
  };
  validateOhlcv(series, { file, lines: order.map((i) => lineNos[i] as number) });
  checkSpacing(series, file);
  return { series, ignoredColumns, hasVolume: volumeCol !== undefined };
}

/**
 * Guards against importing under the wrong timeframe (e.g. daily bars as `1h`): the median gap
 * between bars must be close to one bar. Gaps (weekends, holidays) are fine; they do not move the median.
 */
function checkSpacing(series: OhlcvSeries, file: string | undefined): void {
  if (series.length < 4) return;
  const gaps = new Float64Array(series.length - 1);
  for (let i = 1; i < series.length; i++) gaps[i - 1] = (series.time[i] as number) - (series.time[i - 1] as number);
  gaps.sort();
  const median = gaps[gaps.length >> 1] as number;
  const barMs = timeframeToMs(series.timeframe);
  // 0.9..1.6 leaves room for calendar months (28-31 days against a nominal 30).
  if (median < 0.9 * barMs || median > 1.6 * barMs) {
    const hours = median / 3_600_000;
    const typical = hours >= 24 ? `${+(hours / 24).toFixed(2)} days` : hours >= 1 ? `${+hours.toFixed(2)} hours` : `${+(hours * 60).toFixed(2)} minutes`;
    throw new DataError(
      'DATA_INVALID',
      `${describeLocation(file, undefined)}: bars are typically ${typical} apart, which does not match timeframe '${series.timeframe}'`,
      { file, field: 'date', symbol: series.symbol, timeframe: series.timeframe },
    );
  }
}

/**
 * Imports a user's OHLCV CSV: parses and validates it with {@link normaliseOhlcvCsv} and writes the
 * canonical `{dataDir}/{SYMBOL}_{TIMEFRAME}.csv` (atomically).
 *
 * @throws DataError `DATA_NOT_FOUND` if `file` is missing (checked first), `DATA_EXISTS` if the
 *   target exists and `overwrite` is not set (checked before reading), `DATA_INVALID` /
 *   `DATA_EMPTY` for bad content.
 */
export function importOhlcvCsv(options: ImportOhlcvCsvOptions): ImportOhlcvCsvResult {
  const { file, symbol, timeframe, dataDir } = options;
  const path = ohlcvPath(dataDir, symbol, timeframe);
  if (!existsSync(file)) {
    throw new DataError('DATA_NOT_FOUND', `'${file}' not found: no such file to import`, { file, symbol, timeframe });
  }
  if (options.overwrite !== true && existsSync(path)) {
    throw new DataError('DATA_EXISTS', `'${path}' already exists; pass overwrite (--overwrite) to replace it`, { file: path, symbol, timeframe });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError('DATA_NOT_FOUND', `cannot read '${file}': ${(err as Error).message}`, { file, symbol, timeframe }, { cause: err });
  }
  const { series, ignoredColumns, hasVolume } = normaliseOhlcvCsv(text, { symbol, timeframe, source: file });
  writeOhlcvCsv(path, series);
  return {
    path,
    rows: series.length,
    first: formatUtcTimestamp(series.time[0] as number),
    last: formatUtcTimestamp(series.time[series.length - 1] as number),
    ignoredColumns,
    hasVolume,
    warnings: ohlcvQualityWarnings(series),
  };
}
