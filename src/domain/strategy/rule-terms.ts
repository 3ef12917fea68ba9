import { didYouMean } from './suggest-names.js';

/** What a rule term is checked against. */
export interface RuleTermContext {
  readonly baseTimeframe: string;
  /** All of the strategy's timeframes. */
  readonly timeframes: readonly string[];
  /** Fuzzy set id → its set names. */
  readonly setsByFuzzySet: ReadonlyMap<string, readonly string[]>;
  /** Every feature name the strategy produces. */
  readonly featureNames: ReadonlySet<string>;
}

/** A term resolved to a feature name, or why it cannot be. */
export type RuleTermResolution = { readonly ok: true; readonly feature: string } | { readonly ok: false; readonly message: string };

/**
 * Resolves a rules-mode term to a feature name.
 * - `<fuzzy_set>.<set>` means that set on the base timeframe: `rsi_14.oversold` → `1h_rsi_14_oversold`.
 * - Anything else must be a full feature name `<tf>_<fuzzy_set>_<set>`, e.g. `4h_rsi_14_oversold`.
 * Either way the feature must be one the strategy builds (i.e. listed through nn_inputs).
 */
export function resolveRuleTerm(term: string, ctx: RuleTermContext): RuleTermResolution {
  const dot = term.indexOf('.');
  if (dot >= 0) {
    const fuzzySet = term.slice(0, dot);
    const set = term.slice(dot + 1);
    const sets = ctx.setsByFuzzySet.get(fuzzySet);
    if (sets === undefined) {
      return { ok: false, message: `unknown fuzzy set '${fuzzySet}' in term '${term}'${didYouMean(fuzzySet, ctx.setsByFuzzySet.keys())}` };
    }
    if (!sets.includes(set)) {
      return { ok: false, message: `fuzzy set '${fuzzySet}' has no set '${set}'${didYouMean(set, sets)}; sets: ${sets.join(', ')}` };
    }
    const feature = `${ctx.baseTimeframe}_${fuzzySet}_${set}`;
    if (!ctx.featureNames.has(feature)) {
      return {
        ok: false,
        message: `term '${term}' needs feature '${feature}', which is not built: add fuzzy set '${fuzzySet}' on timeframe ${ctx.baseTimeframe} to nn_inputs`,
      };
    }
    return { ok: true, feature };
  }
  if (ctx.featureNames.has(term)) return { ok: true, feature: term };
  for (const tf of ctx.timeframes) {
    for (const [fuzzySet, sets] of ctx.setsByFuzzySet) {
      const set = sets.find((s) => term === `${tf}_${fuzzySet}_${s}`);
      if (set !== undefined) {
        return { ok: false, message: `feature '${term}' is not built: add fuzzy set '${fuzzySet}' on timeframe ${tf} to nn_inputs` };
      }
    }
  }
  return {
    ok: false,
    message: `unknown feature '${term}'${didYouMean(term, ctx.featureNames)}; a term is '<fuzzy_set>.<set>' (base timeframe) or a feature name '<tf>_<fuzzy_set>_<set>' built from nn_inputs`,
  };
}
