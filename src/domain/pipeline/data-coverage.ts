import { timeframeToMs } from '../data/timeframe.js';
import { formatUtcTimestamp, parseDateBound } from '../data/utc-time.js';

/** The bars a run actually used, and what of the request the data did not cover. */
export interface DataCoverage {
  /** Open times (UTC) of the first and last bar the results cover. */
  readonly data_range: { readonly first_bar: string; readonly last_bar: string };
  /** One sentence per requested date the data does not reach; empty when it covers the request. */
  readonly warnings: string[];
}

/** What {@link describeDataCoverage} compares: the request, the file's extent, the bars used (epoch ms). */
export interface DataCoverageInput {
  readonly symbol: string;
  readonly timeframe: string;
  readonly startDate?: string | undefined;
  readonly endDate?: string | undefined;
  /** First and last bar of the data file. */
  readonly dataFirstMs: number;
  readonly dataLastMs: number;
  /** First and last bar the results cover (after warm-up and the start date). */
  readonly usedFirstMs: number;
  readonly usedLastMs: number;
}

/** Weekends and holidays leave gaps of a few days in FX data: not worth a warning. */
const GAP_TOLERANCE_MS = 3 * 86_400_000;

const shortTime = (ms: number) => formatUtcTimestamp(ms).replace('T', ' ').replace(/:00Z$/, ' UTC').replace(/Z$/, ' UTC');

/**
 * Says when the requested dates reach past the data: a loader keeps the bars inside the range, so
 * without this a report headed "→ 2025-06-30" silently covers data that ends on 2024-12-31.
 */
export function describeDataCoverage(p: DataCoverageInput): DataCoverage {
  const warnings: string[] = [];
  const slack = Math.max(GAP_TOLERANCE_MS, timeframeToMs(p.timeframe));
  const market = `${p.symbol} ${p.timeframe}`;
  if (p.endDate !== undefined) {
    const end = parseDateBound(p.endDate, 'end');
    if (end > p.dataLastMs + slack) {
      warnings.push(`end_date ${p.endDate} is past the end of the ${market} data (last bar ${shortTime(p.dataLastMs)}): results stop at ${shortTime(p.usedLastMs)}`);
    }
  }
  if (p.startDate !== undefined) {
    const start = parseDateBound(p.startDate, 'start');
    if (start < p.dataFirstMs - slack) {
      warnings.push(`start_date ${p.startDate} is before the ${market} data begins (first bar ${shortTime(p.dataFirstMs)}): results start at ${shortTime(p.usedFirstMs)}`);
    }
  }
  return {
    data_range: { first_bar: formatUtcTimestamp(p.usedFirstMs), last_bar: formatUtcTimestamp(p.usedLastMs) },
    warnings,
  };
}
