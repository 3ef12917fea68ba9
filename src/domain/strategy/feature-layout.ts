import type { FuzzySetConfig, NnInputConfig, TimeframesConfig } from './strategy-config.js';

/** One column of the feature matrix. */
export interface FeatureColumn {
  /** `{timeframe}_{fuzzySet}_{set}`, e.g. `1h_rsi_14_oversold`. */
  readonly name: string;
  readonly timeframe: string;
  readonly fuzzySet: string;
  readonly set: string;
}

/** The parts of a strategy that decide the feature layout (a a `StrategyConfig` is one). */
export interface FeatureLayoutSource {
  readonly nn_inputs: readonly NnInputConfig[];
  readonly fuzzy_sets: Readonly<Record<string, Pick<FuzzySetConfig, 'sets'>>>;
  readonly training_data: { readonly timeframes: Pick<TimeframesConfig, 'timeframes' | 'base_timeframe'> };
}

/** The feature name of one membership: `{timeframe}_{fuzzySet}_{set}`. */
export function featureName(timeframe: string, fuzzySet: string, set: string): string {
  return `${timeframe}_${fuzzySet}_${set}`;
}

/**
 * The feature columns in their fixed order: `nn_inputs` order, then (within an entry) the
 * timeframes in the order the strategy lists them, then the sets in the order written in the
 * fuzzy set. Training and backtesting both rely on this order, so it must never depend on data.
 */
export function featureColumns(strategy: FeatureLayoutSource): FeatureColumn[] {
  const columns: FeatureColumn[] = [];
  for (const input of strategy.nn_inputs) {
    const fuzzySet = strategy.fuzzy_sets[input.fuzzy_set];
    if (fuzzySet === undefined) throw new Error(`nn_inputs refers to unknown fuzzy set '${input.fuzzy_set}'`);
    for (const timeframe of orderedTimeframes(strategy, input.timeframes)) {
      for (const set of Object.keys(fuzzySet.sets)) {
        columns.push({ name: featureName(timeframe, input.fuzzy_set, set), timeframe, fuzzySet: input.fuzzy_set, set });
      }
    }
  }
  return columns;
}

/** Feature names in column order (see {@link featureColumns}); needs no data. */
export function featureNames(strategy: FeatureLayoutSource): string[] {
  return featureColumns(strategy).map((c) => c.name);
}

/**
 * Timeframes whose data the feature builder needs, in the strategy's order: the base timeframe
 * (it defines the rows) plus every timeframe some nn_input uses.
 */
export function requiredTimeframes(strategy: FeatureLayoutSource): string[] {
  const tf = strategy.training_data.timeframes;
  const used = new Set<string>([tf.base_timeframe]);
  for (const input of strategy.nn_inputs) for (const t of input.timeframes) used.add(t);
  return tf.timeframes.filter((t) => used.has(t));
}

function orderedTimeframes(strategy: FeatureLayoutSource, selected: readonly string[]): string[] {
  const all = strategy.training_data.timeframes.timeframes;
  return all.filter((t) => selected.includes(t));
}
