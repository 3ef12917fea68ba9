import { DataError } from './data-error.js';
import type { OhlcvSeries } from './ohlcv.js';
import { formatUtcTimestamp, parseDateBound } from './utc-time.js';

/** An inclusive date range. Either bound may be omitted (open-ended). */
export interface DateRange {
  /** `YYYY-MM-DD` (00:00 UTC) or an ISO timestamp (no zone = UTC). Bars opening at or after it are kept. */
  readonly startDate?: string;
  /** `YYYY-MM-DD` (the whole day is included) or an ISO timestamp (no zone = UTC). Bars opening at or before it are kept. */
  readonly endDate?: string;
}

/** Bars `[from, to)` of a series as a new series (arrays are copied, so the result owns them). */
export function sliceOhlcv(series: OhlcvSeries, from: number, to: number): OhlcvSeries {
  const a = Math.max(0, Math.min(from, series.length));
  const b = Math.max(a, Math.min(to, series.length));
  return {
    symbol: series.symbol,
    timeframe: series.timeframe,
    length: b - a,
    time: series.time.slice(a, b),
    open: series.open.slice(a, b),
    high: series.high.slice(a, b),
    low: series.low.slice(a, b),
    close: series.close.slice(a, b),
    volume: series.volume.slice(a, b),
  };
}

/** Index of the first element of sorted `arr` that is >= `value` (or > when `strict`). */
function lowerBound(arr: Float64Array, value: number, strict: boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = arr[mid] as number;
    if (v < value || (strict && v === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function parseBound(value: string, bound: 'start' | 'end', file: string | undefined): number {
  const t = parseDateBound(value, bound);
  if (Number.isNaN(t)) {
    const name = bound === 'start' ? 'startDate' : 'endDate';
    throw new DataError('DATA_INVALID', `invalid ${name} '${value}': expected YYYY-MM-DD or an ISO-8601 timestamp like 2024-12-31T23:00:00Z`, { file, field: name });
  }
  return t;
}

/**
 * Keeps the bars whose open time lies in `range` (inclusive; a date-only `endDate` includes that
 * whole day). Returns `series` itself when nothing is cut.
 *
 * Throws `DATA_INVALID` for an unparsable bound or `startDate` after `endDate`, and `DATA_EMPTY`
 * (naming the range and the series' actual first and last dates) when no bar is left.
 *
 * @param file - used in error messages only.
 */
export function filterOhlcvByDate(series: OhlcvSeries, range: DateRange, file?: string): OhlcvSeries {
  const { startDate, endDate } = range;
  if (startDate === undefined && endDate === undefined) return series;
  const start = startDate === undefined ? -Infinity : parseBound(startDate, 'start', file);
  const end = endDate === undefined ? Infinity : parseBound(endDate, 'end', file);
  if (start > end) {
    throw new DataError('DATA_INVALID', `startDate '${startDate}' is after endDate '${endDate}'`, { file, symbol: series.symbol, timeframe: series.timeframe });
  }
  const from = lowerBound(series.time, start, false);
  const to = lowerBound(series.time, end, true);
  if (from >= to) {
    const covers =
      series.length === 0
        ? 'it has no bars'
        : `it covers ${formatUtcTimestamp(series.time[0] as number)} to ${formatUtcTimestamp(series.time[series.length - 1] as number)}`;
    throw new DataError(
      'DATA_EMPTY',
      `no ${series.symbol} ${series.timeframe} bars between ${startDate ?? 'the beginning'} and ${endDate ?? 'the end'}` +
        `${file === undefined ? '' : ` in ${file}`}; ${covers}`,
      { file, symbol: series.symbol, timeframe: series.timeframe },
    );
  }
  return from === 0 && to === series.length ? series : sliceOhlcv(series, from, to);
}

/**
 * Epoch ms of a request date: `YYYY-MM-DD` is midnight UTC, and a date-time without a zone is UTC
 * too (`Date.parse` would read it in the process's local time zone). NaN when it is not a date.
 */
export function parseUtcDate(value: string): number {
  const v = value.trim().replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return Date.parse(`${v}T00:00:00Z`);
  return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(v) ? v : `${v}Z`);
}
