import type { OhlcvSeries } from './ohlcv.js';
import { timeframeToMs } from './timeframe.js';

/** Fewer bars than this make annualised metrics (Sharpe, volatility, annualised return) unreliable. */
export const MIN_BARS_FOR_ANNUALISED = 30;

/** Options of {@link ohlcvQualityWarnings}. */
export interface QualityWindow {
  /** First bar checked. @defaultValue 0 */
  start?: number;
  /** One past the last bar checked. @defaultValue series.length */
  end?: number;
}

const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)} %`;

/**
 * Warnings about data that imports (and backtests) but misleads: close-only bars
 * (open = high = low = close), opens copied from the previous close, gaps shorter than one bar
 * (mixed or wrong timeframe), and too few bars for annualised metrics. Empty when none applies.
 */
export function ohlcvQualityWarnings(series: OhlcvSeries, window: QualityWindow = {}): string[] {
  const start = Math.max(0, window.start ?? 0);
  const end = Math.min(series.length, window.end ?? series.length);
  const n = end - start;
  const out: string[] = [];
  if (n <= 0) return out;
  const { open, high, low, close, time } = series;
  let flat = 0;
  let openIsPrevClose = 0;
  let shortGaps = 0;
  const barMs = timeframeToMs(series.timeframe);
  for (let i = start; i < end; i++) {
    const o = open[i] as number;
    if (o === high[i] && o === low[i] && o === close[i]) flat++;
    if (i > start) {
      if (o === close[i - 1]) openIsPrevClose++;
      if ((time[i] as number) - (time[i - 1] as number) < 0.9 * barMs) shortGaps++;
    }
  }
  if (flat > 0 && flat >= 0.2 * n) {
    out.push(`${flat} of ${n} bars (${pct(flat, n)}) have open = high = low = close: close-only data, so next-open fills, MFE/MAE and the margin rule see no intrabar movement`);
  }
  if (n > 1 && openIsPrevClose >= 0.8 * (n - 1)) {
    out.push(`open equals the previous close on ${openIsPrevClose} of ${n - 1} bars (${pct(openIsPrevClose, n - 1)}): opens were probably made from closes, so a next-open fill is the signal bar's close`);
  }
  if (shortGaps > 0) {
    out.push(`${shortGaps} gap${shortGaps === 1 ? '' : 's'} between bars ${shortGaps === 1 ? 'is' : 'are'} shorter than one ${series.timeframe} bar: the file may mix timeframes or be declared with the wrong timeframe`);
  }
  if (n < MIN_BARS_FOR_ANNUALISED) {
    out.push(`only ${n} bars: annualised metrics (Sharpe, Sortino, volatility, annualised return) are unreliable below ~${MIN_BARS_FOR_ANNUALISED} bars`);
  }
  return out;
}
