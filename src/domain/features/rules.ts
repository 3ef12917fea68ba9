import { resolveRuleTerm, type RuleTermContext } from '../strategy/rule-terms.js';
import type { StrategyConfig } from '../strategy/strategy-config.js';
import { featureNames } from '../strategy/feature-layout.js';
import { FeatureBuildError } from './feature-build-error.js';
import type { FeatureMatrix } from './feature-matrix.js';

/** Feature names a rules block reads, per side, resolved from its terms. */
export interface ResolvedRules {
  readonly buy: readonly string[];
  readonly sell: readonly string[];
}

/**
 * Resolves the strategy's `decisions.rules` terms to feature names
 * (`rsi_14.oversold` → `1h_rsi_14_oversold` on a 1h base timeframe).
 * @throws FeatureBuildError when the strategy has no rules or a term does not resolve
 */
export function resolveRules(strategy: StrategyConfig): ResolvedRules {
  const rules = strategy.decisions.rules;
  if (rules === undefined) throw new FeatureBuildError(`strategy '${strategy.name}' has no decisions.rules`);
  const ctx: RuleTermContext = {
    baseTimeframe: strategy.training_data.timeframes.base_timeframe,
    timeframes: strategy.training_data.timeframes.timeframes,
    setsByFuzzySet: new Map(Object.entries(strategy.fuzzy_sets).map(([id, f]) => [id, Object.keys(f.sets)])),
    featureNames: new Set(featureNames(strategy)),
  };
  const resolve = (terms: readonly string[]): string[] =>
    terms.map((term) => {
      const r = resolveRuleTerm(term, ctx);
      if (!r.ok) throw new FeatureBuildError(`rule term '${term}': ${r.message}`);
      return r.feature;
    });
  return { buy: resolve(rules.buy), sell: resolve(rules.sell) };
}

/**
 * Model-free decision probabilities from `decisions.rules`, laid out like the neural model's
 * output: `rows × 3` row-major, classes BUY = 0, HOLD = 1, SELL = 2.
 *
 * Per row: buy = min of the buy terms' memberships (fuzzy AND; 0 when there are none),
 * sell likewise, hold = max(0, 1 − max(buy, sell)); the three are then divided by their sum
 * (which is ≥ 1, so never 0). A row where any term is NaN (warm-up) is pure HOLD: [0, 1, 0].
 *
 * @throws FeatureBuildError when the strategy has no rules or `features` lacks a needed column
 */
export function ruleProbabilities(strategy: StrategyConfig, features: FeatureMatrix): Float32Array {
  const resolved = resolveRules(strategy);
  const column = (name: string): number => {
    const j = features.names.indexOf(name);
    if (j < 0) throw new FeatureBuildError(`feature matrix has no column '${name}' needed by the rules`);
    return j;
  };
  const buyCols = Int32Array.from(resolved.buy, column);
  const sellCols = Int32Array.from(resolved.sell, column);
  const { rows, cols, values } = features;
  const out = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    const rowStart = i * cols;
    const buy = fuzzyAnd(values, rowStart, buyCols);
    const sell = fuzzyAnd(values, rowStart, sellCols);
    const o = i * 3;
    if (buy !== buy || sell !== sell) {
      out[o + 1] = 1;
      continue;
    }
    const hold = Math.max(0, 1 - Math.max(buy, sell));
    const sum = buy + hold + sell;
    out[o] = buy / sum;
    out[o + 1] = hold / sum;
    out[o + 2] = sell / sum;
  }
  return out;
}

/** Minimum of the given columns of one row; 0 for no columns; NaN if any is NaN. */
function fuzzyAnd(values: Float32Array, rowStart: number, columns: Int32Array): number {
  if (columns.length === 0) return 0;
  let m = 1;
  for (let k = 0; k < columns.length; k++) {
    const v = values[rowStart + (columns[k] as number)] as number;
    if (v !== v) return NaN;
    if (v < m) m = v;
  }
  return m;
}
