import { timeframeToMs } from '../data/timeframe.js';

const DAY_MS = 86_400_000;

/** Trading days per year used for every annualisation. */
export const TRADING_DAYS_PER_YEAR = 252;

/**
 * Number of bars of `timeframe` in one year, used to annualise per-bar volatility, Sharpe and
 * Sortino ratios.
 *
 * One convention for all instruments, chosen for FX (24 h × 5 d markets):
 * - intraday (bar shorter than a day): `252 × (86 400 000 / barMs)`, e.g. 1h → 6048, 5m → 72 576;
 * - `Nd` → 252 / N, `Nw` → 52 / N, `NM` → 12 / N.
 *
 * @throws Error when `timeframe` is malformed
 */
export function barsPerYear(timeframe: string): number {
  const barMs = timeframeToMs(timeframe);
  if (barMs < DAY_MS) return (TRADING_DAYS_PER_YEAR * DAY_MS) / barMs;
  const n = Number(timeframe.slice(0, -1));
  switch (timeframe.slice(-1)) {
    case 'w':
      return 52 / n;
    case 'M':
      return 12 / n;
    default:
      // whole days, or an hour/minute count of a day or more (24h, 1440m)
      return (TRADING_DAYS_PER_YEAR * DAY_MS) / barMs;
  }
}
