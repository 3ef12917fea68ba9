import { DataError } from './data-error.js';
import { assertTimeframe } from './data-files.js';
import type { OhlcvSeries } from './ohlcv.js';
import { timeframeToMs } from './timeframe.js';

const DAY_MS = 86_400_000;
/** 1970-01-05, the first Monday after the epoch: weekly buckets start on Mondays 00:00 UTC. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/** Options for {@link resampleOhlcv}. */
export interface ResampleOptions {
  /**
   * For targets of one day or longer: put bars that open on a Saturday or Sunday (UTC) into the
   * bucket of the following Monday, instead of making a weekend bar. This is how FX daily bars
   * are usually built: the market reopens Sunday 22:00 UTC and those two hours belong to Monday's
   * session, so daily bars are Monday–Friday only. Ignored for intraday targets.
   * @defaultValue false
   */
  readonly foldWeekendIntoMonday?: boolean;
}

/**
 * Aggregates a series into a coarser timeframe: open = first open, high = max high, low = min low,
 * close = last close, volume = sum; the bar's time is its bucket's start. Buckets are aligned to
 * 00:00 UTC (so `4h` buckets start at 00, 04, ..., 20 and days at midnight), weeks to Monday
 * 00:00 UTC and months to the 1st. Empty buckets produce no bar.
 *
 * @throws DataError `DATA_INVALID` when the target is not a whole multiple of the source timeframe
 *   (months accept any source that divides a day).
 */
export function resampleOhlcv(series: OhlcvSeries, timeframe: string, options: ResampleOptions = {}): OhlcvSeries {
  assertTimeframe(timeframe);
  assertTimeframe(series.timeframe);
  const srcMs = timeframeToMs(series.timeframe);
  const dstMs = timeframeToMs(timeframe);
  const unit = timeframe.slice(-1);
  const count = Number(timeframe.slice(0, -1));
  const srcIsMonth = series.timeframe.endsWith('M');
  const compatible =
    unit === 'M'
      ? srcIsMonth
        ? count % Number(series.timeframe.slice(0, -1)) === 0
        : DAY_MS % srcMs === 0
      : !srcIsMonth && dstMs >= srcMs && dstMs % srcMs === 0;
  if (!compatible) {
    throw new DataError(
      'DATA_INVALID',
      `cannot resample ${series.symbol} from ${series.timeframe} to ${timeframe}: the target must be a whole multiple of the source timeframe`,
      { symbol: series.symbol, timeframe },
    );
  }

  const fold = options.foldWeekendIntoMonday === true && (unit === 'd' || unit === 'w' || unit === 'M');
  const bucketOf = (t0: number): number => {
    let t = t0;
    if (fold) {
      const day = Math.floor(t / DAY_MS);
      const dow = (day + 4) % 7; // 0 = Sunday; 1970-01-01 was a Thursday
      if (dow === 6) t = (day + 2) * DAY_MS;
      else if (dow === 0) t = (day + 1) * DAY_MS;
    }
    if (unit === 'w') return Math.floor((t - FIRST_MONDAY_MS) / dstMs) * dstMs + FIRST_MONDAY_MS;
    if (unit === 'M') {
      const d = new Date(t);
      const idx = d.getUTCFullYear() * 12 + d.getUTCMonth();
      const start = Math.floor(idx / count) * count;
      return Date.UTC(Math.floor(start / 12), start % 12, 1);
    }
    return Math.floor(t / dstMs) * dstMs;
  };

  const n = series.length;
  const time = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  let m = -1;
  let current = NaN;
  for (let i = 0; i < n; i++) {
    const b = bucketOf(series.time[i] as number);
    const h = series.high[i] as number;
    const l = series.low[i] as number;
    if (b !== current) {
      m++;
      current = b;
      time[m] = b;
      open[m] = series.open[i] as number;
      high[m] = h;
      low[m] = l;
      volume[m] = 0;
    } else {
      if (h > (high[m] as number)) high[m] = h;
      if (l < (low[m] as number)) low[m] = l;
    }
    close[m] = series.close[i] as number;
    volume[m] = (volume[m] as number) + (series.volume[i] as number);
  }
  const len = m + 1;
  return {
    symbol: series.symbol,
    timeframe,
    length: len,
    time: time.slice(0, len),
    open: open.slice(0, len),
    high: high.slice(0, len),
    low: low.slice(0, len),
    close: close.slice(0, len),
    volume: volume.slice(0, len),
  };
}
