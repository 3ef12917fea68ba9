import { parseUtcDate } from '../data/date-range.js';
import { loadOhlcv } from '../data/ohlcv-loader.js';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { buildFeatures, requiredTimeframes } from '../features/build-features.js';
import type { FeatureMatrix } from '../features/feature-matrix.js';
import type { StrategyConfig } from '../strategy/strategy-config.js';

/** Thrown when a request does not fit the strategy (e.g. a timeframe it cannot run on). */
export class StrategyRequestError extends Error {
  readonly code = 'STRATEGY_REQUEST_INVALID';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'StrategyRequestError';
  }
}

/**
 * The strategy as it runs on `timeframe`: a single-timeframe strategy can be run on any timeframe
 * (its features are renamed accordingly); a multi-timeframe one only on its base timeframe.
 */
export function strategyForTimeframe(strategy: StrategyConfig, timeframe: string | undefined): StrategyConfig {
  const tfs = strategy.training_data.timeframes;
  if (timeframe === undefined || timeframe === tfs.base_timeframe) return strategy;
  if (tfs.mode === 'multi_timeframe') {
    throw new StrategyRequestError(
      'timeframe',
      `strategy '${strategy.name}' is multi-timeframe (${tfs.timeframes.join(', ')}); it runs on its base timeframe ${tfs.base_timeframe}, not ${timeframe}`,
    );
  }
  return {
    ...strategy,
    training_data: {
      ...strategy.training_data,
      timeframes: { mode: 'single', timeframes: [timeframe], base_timeframe: timeframe },
    },
    nn_inputs: strategy.nn_inputs.map((i) => ({ ...i, timeframes: [timeframe] })),
  };
}

export interface LoadedStrategyData {
  base: OhlcvSeries;
  seriesByTimeframe: Record<string, OhlcvSeries>;
  features: FeatureMatrix;
}

/** Loads every timeframe the strategy needs for one symbol (all history up to endDate) and builds its features. */
export function loadStrategyData(
  strategy: StrategyConfig,
  opts: { dataDir: string; symbol: string; endDate?: string | undefined },
): LoadedStrategyData {
  const seriesByTimeframe: Record<string, OhlcvSeries> = {};
  for (const tf of requiredTimeframes(strategy)) {
    seriesByTimeframe[tf] = loadOhlcv({ dataDir: opts.dataDir, symbol: opts.symbol, timeframe: tf, endDate: opts.endDate });
  }
  const base = seriesByTimeframe[strategy.training_data.timeframes.base_timeframe]!;
  return { base, seriesByTimeframe, features: buildFeatures(strategy, seriesByTimeframe) };
}

/** Index of the first bar whose open time is at or after `isoDate` (length if none). */
export function firstIndexAtOrAfter(time: Float64Array, isoDate: string | undefined): number {
  if (isoDate === undefined) return 0;
  const t = parseUtcDate(isoDate);
  let lo = 0;
  let hi = time.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((time[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
