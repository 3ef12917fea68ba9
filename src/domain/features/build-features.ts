import type { OhlcvSeries } from '../data/ohlcv.js';
import { timeframeToMs } from '../data/timeframe.js';
import { membershipArray } from '../fuzzy/membership-function.js';
import type { IndicatorOutputs, IndicatorSpec } from '../indicators/indicator-spec.js';
import { computeIndicator } from '../indicators/registry.js';
import { featureColumns, type FeatureColumn } from '../strategy/feature-layout.js';
import type { StrategyConfig } from '../strategy/strategy-config.js';
import { FeatureBuildError } from './feature-build-error.js';
import type { FeatureMatrix } from './feature-matrix.js';
import { alignToBase } from './timeframe-alignment.js';

export { featureNames, requiredTimeframes } from '../strategy/feature-layout.js';

/** Computes one indicator over one series (the registry's `computeIndicator` by default). */
export type IndicatorComputer = (spec: IndicatorSpec, series: OhlcvSeries) => IndicatorOutputs;

/** Tunables of {@link buildFeatures}. */
export interface BuildFeaturesOptions {
  /**
   * Indicator computation; pass a memoising wrapper to share indicator work between calls.
   * @defaultValue the indicator registry's `computeIndicator`
   */
  readonly computeIndicator?: IndicatorComputer;
}

/**
 * Builds the feature matrix of ONE symbol: one row per base-timeframe bar, one column per
 * `{tf}_{fuzzy_set}_{set}` in the order of `featureNames(strategy)` (nn_inputs order, then the
 * strategy's timeframe order, then set order as written).
 *
 * Each indicator is computed once per timeframe. Row i holds what is known when base bar i
 * closes: base-timeframe memberships use bar i itself; another timeframe contributes its latest
 * bar that had closed by base bar i's OPEN time (see `alignToBase`), never a bar still forming.
 * Cells are NaN until an input has warmed up (and before the first higher-timeframe bar closed).
 *
 * @param seriesByTimeframe - at least every timeframe of `requiredTimeframes(strategy)`
 * @throws FeatureBuildError when a needed series is missing, mislabelled (timeframe or symbol) or not time-ordered
 */
export function buildFeatures(
  strategy: StrategyConfig,
  seriesByTimeframe: Readonly<Record<string, OhlcvSeries>>,
  options: BuildFeaturesOptions = {},
): FeatureMatrix {
  const compute = options.computeIndicator ?? computeIndicator;
  const columns = featureColumns(strategy);
  const baseTf = strategy.training_data.timeframes.base_timeframe;
  const base = seriesFor(seriesByTimeframe, baseTf);
  const rows = base.length;
  const cols = columns.length;
  const values = new Float32Array(rows * cols);
  // Last row holding a NaN, over all columns: everything after it is fully valid.
  let lastIncompleteRow = -1;

  for (const timeframe of strategy.training_data.timeframes.timeframes) {
    const tfColumns = columns.map((column, index) => ({ column, index })).filter((c) => c.column.timeframe === timeframe);
    if (tfColumns.length === 0) continue;
    const series = timeframe === baseTf ? base : seriesFor(seriesByTimeframe, timeframe);
    if (series.symbol !== base.symbol) {
      throw new FeatureBuildError(`${timeframe} series is ${series.symbol} but the ${baseTf} series is ${base.symbol}: features are built for one symbol`);
    }
    const rowToBar = timeframe === baseTf ? undefined : alignToBase(base.time, series.time, timeframeToMs(timeframe));
    const indicatorCache = new Map<string, IndicatorOutputs>();
    const scratch = new Float64Array(series.length);
    for (const { column, index } of tfColumns) {
      const input = indicatorInput(strategy, column, series, indicatorCache, compute);
      const fuzzySet = strategy.fuzzy_sets[column.fuzzySet]!;
      membershipArray(fuzzySet.sets[column.set]!, input, scratch);
      const last = rowToBar ? scatterAligned(scratch, rowToBar, values, index, cols) : scatterDirect(scratch, values, index, cols);
      if (last > lastIncompleteRow) lastIncompleteRow = last;
    }
  }

  return {
    names: columns.map((c) => c.name),
    rows,
    cols,
    values,
    time: base.time.slice(),
    validFrom: cols === 0 ? 0 : lastIncompleteRow + 1,
  };
}

function seriesFor(seriesByTimeframe: Readonly<Record<string, OhlcvSeries>>, timeframe: string): OhlcvSeries {
  const series = Object.hasOwn(seriesByTimeframe, timeframe) ? seriesByTimeframe[timeframe] : undefined;
  if (series === undefined) {
    throw new FeatureBuildError(`no ${timeframe} series given; have: ${Object.keys(seriesByTimeframe).join(', ') || '(none)'}`);
  }
  if (series.timeframe !== timeframe) {
    throw new FeatureBuildError(`series given for ${timeframe} is labelled ${series.timeframe}`);
  }
  const t = series.time;
  for (let i = 1; i < series.length; i++) {
    if (!((t[i] as number) > (t[i - 1] as number))) {
      throw new FeatureBuildError(`${series.symbol} ${timeframe}: bar times are not strictly increasing at index ${i}`);
    }
  }
  return series;
}

/** The indicator output a column's fuzzy set reads, computing the indicator once per timeframe. */
function indicatorInput(
  strategy: StrategyConfig,
  column: FeatureColumn,
  series: OhlcvSeries,
  cache: Map<string, IndicatorOutputs>,
  compute: IndicatorComputer,
): Float64Array {
  const ref = strategy.fuzzy_sets[column.fuzzySet]!.indicator;
  const dot = ref.indexOf('.');
  const id = dot >= 0 ? ref.slice(0, dot) : ref;
  const output = dot >= 0 ? ref.slice(dot + 1) : 'value';
  let outputs = cache.get(id);
  if (outputs === undefined) {
    const spec = strategy.indicators[id];
    if (spec === undefined) throw new FeatureBuildError(`fuzzy set '${column.fuzzySet}' refers to undeclared indicator '${id}'`);
    outputs = compute(spec, series);
    cache.set(id, outputs);
  }
  const values = outputs[output];
  if (values === undefined) {
    throw new FeatureBuildError(`indicator '${id}' produced no '${output}' output (has: ${Object.keys(outputs).join(', ')})`);
  }
  if (values.length !== series.length) {
    throw new FeatureBuildError(`indicator '${id}' output '${output}' has ${values.length} values for ${series.length} bars`);
  }
  return values;
}

/** Copies a base-timeframe column; returns the last row written as NaN (-1 if none). */
function scatterDirect(src: Float64Array, dst: Float32Array, col: number, cols: number): number {
  let lastNaN = -1;
  for (let i = 0, o = col; i < src.length; i++, o += cols) {
    const v = src[i] as number;
    dst[o] = v;
    if (v !== v) lastNaN = i;
  }
  return lastNaN;
}

/** Gathers another timeframe's column through the row → bar map; returns the last NaN row (-1 if none). */
function scatterAligned(src: Float64Array, rowToBar: Int32Array, dst: Float32Array, col: number, cols: number): number {
  let lastNaN = -1;
  for (let i = 0, o = col; i < rowToBar.length; i++, o += cols) {
    const k = rowToBar[i] as number;
    const v = k < 0 ? NaN : (src[k] as number);
    dst[o] = v;
    if (v !== v) lastNaN = i;
  }
  return lastNaN;
}
