import { DataError } from './data-error.js';
import type { OhlcvSeries } from './ohlcv.js';
import { formatUtcTimestamp } from './utc-time.js';

/** Where the bars of a series came from, so errors can point at the offending line. */
export interface BarSource {
  /** File name or path used in messages. @defaultValue 'input' */
  readonly file?: string;
  /**
   * 1-based line number of each bar in `file`. When omitted, bar i is assumed to be on line i + 2
   * (one header line, no blank lines).
   */
  readonly lines?: ArrayLike<number>;
}

/** Formats a location prefix like `data/EURUSD_1h.csv line 17`. */
export function describeLocation(file: string | undefined, line: number | undefined): string {
  const f = file ?? 'input';
  return line === undefined ? f : `${f} line ${line}`;
}

/**
 * Checks the invariants every OHLCV series must hold and throws `DATA_INVALID` at the first bar
 * that breaks one, naming its line:
 * strictly increasing `time` (a repeat is reported as a duplicate), finite positive prices,
 * `high >= low`, `high >= max(open, close)`, `low <= min(open, close)`, finite `volume >= 0`.
 */
export function validateOhlcv(series: OhlcvSeries, source: BarSource = {}): void {
  const { time, open, high, low, close, volume } = series;
  const n = series.length;
  let prev = -Infinity;
  // Hot loop kept free of closures and string building (a 40k-bar file is validated on every
  // load); the first bad bar is diagnosed by reportInvalidBar.
  for (let i = 0; i < n; i++) {
    const t = time[i] as number;
    const o = open[i] as number;
    const h = high[i] as number;
    const l = low[i] as number;
    const c = close[i] as number;
    const v = volume[i] as number;
    // Every comparison is false for NaN, so NaN fails the check too.
    const ok =
      t > prev && t < Infinity &&
      l > 0 && h < Infinity && v >= 0 && v < Infinity &&
      h >= l && h >= o && h >= c && l <= o && l <= c;
    if (!ok) reportInvalidBar(series, source, i);
    prev = t;
  }
}

function reportInvalidBar(series: OhlcvSeries, source: BarSource, i: number): never {
  const lines = source.lines;
  const lineOf = (k: number): number => (lines === undefined ? k + 2 : (lines[k] as number));
  const fail = (field: string, what: string): never => {
    const line = lineOf(i);
    throw new DataError('DATA_INVALID', `${describeLocation(source.file, line)}: ${what}`, {
      file: source.file,
      line,
      field,
      symbol: series.symbol,
      timeframe: series.timeframe,
    });
  };
  const t = series.time[i] as number;
  const prev = i > 0 ? (series.time[i - 1] as number) : -Infinity;
  if (!Number.isFinite(t)) fail('date', `invalid date (epoch ${t})`);
  if (t === prev) fail('date', `duplicate date ${formatUtcTimestamp(t)} (same as line ${lineOf(i - 1)})`);
  if (t < prev) {
    fail(
      'date',
      `date ${formatUtcTimestamp(t)} is not after the previous row's ${formatUtcTimestamp(prev)} (line ${lineOf(i - 1)}); ` +
        'rows must be in strictly increasing date order',
    );
  }
  const o = series.open[i] as number;
  const h = series.high[i] as number;
  const l = series.low[i] as number;
  const c = series.close[i] as number;
  const v = series.volume[i] as number;
  const prices: Array<[string, number]> = [['open', o], ['high', h], ['low', l], ['close', c]];
  for (const [name, x] of prices) {
    if (Number.isNaN(x)) fail(name, `${name} is NaN`);
    if (!(x > 0) || x === Infinity) fail(name, `${name} ${x} is not a finite positive price`);
  }
  if (h < l) fail('high', `high ${h} is below low ${l}`);
  if (h < o || h < c) fail('high', `high ${h} is below ${h < o ? `open ${o}` : `close ${c}`}`);
  if (l > o || l > c) fail('low', `low ${l} is above ${l > o ? `open ${o}` : `close ${c}`}`);
  if (v < 0) fail('volume', `negative volume ${v}`);
  return fail('volume', `volume ${v} is not a finite number`);
}
