/** Timeframes look like `1h`, `4h`, `1d`, `15m`, `1w`, `1M` (m = minute, M = month). */
export const TIMEFRAME_PATTERN = /^[0-9]+[mhdwM]$/;

const unitMs: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  // A calendar month varies; 30 days is used for durations and annualisation only.
  M: 30 * 86_400_000,
};

export function isTimeframe(value: string): boolean {
  return TIMEFRAME_PATTERN.test(value);
}

/** Duration of one bar in milliseconds. Throws on a malformed timeframe. */
export function timeframeToMs(timeframe: string): number {
  if (!TIMEFRAME_PATTERN.test(timeframe)) {
    throw new Error(`invalid timeframe '${timeframe}': expected a number and a unit (m, h, d, w, M), e.g. 1h`);
  }
  const n = Number(timeframe.slice(0, -1));
  if (n <= 0) throw new Error(`invalid timeframe '${timeframe}': must be positive`);
  return n * (unitMs[timeframe.slice(-1)] as number);
}
