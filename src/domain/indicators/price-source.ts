import type { OhlcvSeries } from '../data/ohlcv.js';

/** The `source` values a single-input indicator accepts (KTRDR names). */
export const PRICE_SOURCES = Object.freeze(['open', 'high', 'low', 'close', 'volume', 'hl2', 'hlc3', 'ohlc4'] as const);

/** A column of the series or a per-bar price average: hl2 = (h+l)/2, hlc3 = (h+l+c)/3, ohlc4 = (o+h+l+c)/4. */
export type PriceSource = (typeof PRICE_SOURCES)[number];

/** True when `value` names a {@link PriceSource}. */
export function isPriceSource(value: unknown): value is PriceSource {
  return typeof value === 'string' && (PRICE_SOURCES as readonly string[]).includes(value);
}

/**
 * The input column an indicator reads. Plain columns are returned as they are (not copied; the
 * indicators never write to their input); the averages are computed into a new array.
 */
export function selectPriceSource(series: OhlcvSeries, source: PriceSource): Float64Array {
  const { open, high, low, close } = series;
  switch (source) {
    case 'open':
    case 'high':
    case 'low':
    case 'close':
    case 'volume':
      return series[source];
    case 'hl2':
      return combine(series.length, (i) => (high[i]! + low[i]!) / 2);
    case 'hlc3':
      return combine(series.length, (i) => (high[i]! + low[i]! + close[i]!) / 3);
    case 'ohlc4':
      return combine(series.length, (i) => (open[i]! + high[i]! + low[i]! + close[i]!) / 4);
  }
}

function combine(n: number, at: (i: number) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = at(i);
  return out;
}
