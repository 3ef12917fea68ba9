import { DocumentReader, childPath, describe, isPlainObject, itemPath } from './document-reader.js';
import { featureNames } from './feature-layout.js';
import { resolveRuleTerm } from './rule-terms.js';
import type { DecisionsConfig, FuzzySetConfig, NnInputConfig, RulesConfig, StrategyConfig, TimeframesConfig } from './strategy-config.js';
import { STRATEGY_DEFAULTS } from './strategy-defaults.js';
import { StrategyValidationError } from './strategy-validation-error.js';
import { didYouMean } from './suggest-names.js';
import { validateFuzzySets, type DeclaredFuzzySets } from './validate-fuzzy-sets.js';
import { validateIndicators } from './validate-indicators.js';
import { validateModel } from './validate-model.js';
import { validateTrainingData } from './validate-training-data.js';
import { validateTraining } from './validate-training.js';
import { validateTrading } from './validate-trading.js';

const TOP_LEVEL_KEYS = ['name', 'version', 'description', 'training_data', 'indicators', 'fuzzy_sets', 'nn_inputs', 'model', 'decisions', 'training', 'trading'];
/** Top-level keys KTRDR files carry that this format accepts and ignores. */
const LEGACY_TOP_LEVEL_KEYS = ['scope', 'deployment'];
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Validates an untrusted strategy document (parsed YAML or JSON) and returns it normalised with
 * every default filled in. Throws {@link StrategyValidationError} listing ALL issues, each with
 * its path (e.g. `fuzzy_sets.rsi_14.indicator: unknown indicator 'rsi_41' (did you mean 'rsi_14'?)`).
 *
 * @param source - file or name the document came from, used in the error message
 */
export function validateStrategy(input: unknown, source?: string): StrategyConfig {
  const r = new DocumentReader();
  const root = r.object(input, '');
  if (root === undefined) throw new StrategyValidationError(r.issues, source);
  r.keys(root, '', TOP_LEVEL_KEYS, LEGACY_TOP_LEVEL_KEYS);

  const name = r.string(root, 'name', '', { pattern: NAME_PATTERN, patternHint: 'use letters, digits, "_", "-" and "."' });
  const version = readVersion(r, root['version']);
  const description = readDescription(r, root['description']);
  const trainingData = validateTrainingData(r, root['training_data']);
  const indicators = validateIndicators(r, root['indicators']);
  const fuzzySets = validateFuzzySets(r, root['fuzzy_sets'], indicators);
  const nnInputs = validateNnInputs(r, root['nn_inputs'], fuzzySets, trainingData.timeframes);
  const model = validateModel(r, root['model']);
  const decisions = validateDecisions(r, root['decisions'], fuzzySets, trainingData.timeframes, nnInputs);
  const legacyModelTraining = isPlainObject(root['model']) ? root['model']['training'] : undefined;
  const training = validateTraining(r, root['training'], legacyModelTraining);
  const trading = validateTrading(r, root['trading']);

  if (r.issues.length > 0) throw new StrategyValidationError(r.issues, source);
  // No issue means every part was read; the casts only restate that.
  const specs = Object.fromEntries([...indicators].map(([id, d]) => [id, d.spec!]));
  const sets = Object.fromEntries([...fuzzySets].map(([id, f]) => [id, f!]));
  return {
    name: name!,
    version: version!,
    description: description!,
    training_data: trainingData.config!,
    indicators: specs,
    fuzzy_sets: sets,
    nn_inputs: nnInputs!,
    model: model!,
    decisions: decisions!,
    training: training!,
    trading: trading!,
  };
}

function readVersion(r: DocumentReader, value: unknown): string | undefined {
  if (value === undefined || value === null) return STRATEGY_DEFAULTS.version;
  // YAML reads `version: 3.0` as the number 3; keep what the author meant.
  if (typeof value === 'number' && Number.isFinite(value)) return Number.isInteger(value) ? value.toFixed(1) : String(value);
  if (typeof value === 'string' && value.trim() !== '') return value;
  r.add('version', `expected a string such as "3.0", got ${describe(value)}`);
  return undefined;
}

function readDescription(r: DocumentReader, value: unknown): string | undefined {
  if (value === undefined || value === null) return STRATEGY_DEFAULTS.description;
  if (typeof value === 'string') return value;
  r.add('description', `expected a string, got ${describe(value)}`);
  return undefined;
}

/**
 * `nn_inputs`: a list of `{ fuzzy_set, timeframes: all | [..] }` (a bare fuzzy set id means
 * `timeframes: all`). Absent → every fuzzy set on every timeframe, in declaration order.
 */
function validateNnInputs(r: DocumentReader, value: unknown, fuzzySets: DeclaredFuzzySets, timeframes: TimeframesConfig | undefined): NnInputConfig[] | undefined {
  const path = 'nn_inputs';
  const all = timeframes?.timeframes;
  if (value === undefined || value === null) {
    return all && [...fuzzySets.keys()].map((fuzzySet) => ({ fuzzy_set: fuzzySet, timeframes: [...all] }));
  }
  if (!Array.isArray(value) || value.length === 0) {
    r.add(path, `expected a non-empty list of { fuzzy_set, timeframes }, got ${describe(value)}`);
    return undefined;
  }
  const out: NnInputConfig[] = [];
  let ok = true;
  value.forEach((item: unknown, i) => {
    const p = itemPath(path, i);
    const entry = typeof item === 'string' ? { fuzzy_set: item } : r.object(item, p);
    if (entry === undefined) return void (ok = false);
    r.keys(entry, p, ['fuzzy_set', 'timeframes']);
    const fuzzySet = r.string(entry, 'fuzzy_set', p);
    if (fuzzySet === undefined) return void (ok = false);
    if (!fuzzySets.has(fuzzySet)) {
      r.add(childPath(p, 'fuzzy_set'), `unknown fuzzy set '${fuzzySet}'${didYouMean(fuzzySet, fuzzySets.keys())}; declared: ${[...fuzzySets.keys()].join(', ') || '(none)'}`);
      return void (ok = false);
    }
    if (out.some((o) => o.fuzzy_set === fuzzySet)) {
      r.add(childPath(p, 'fuzzy_set'), `fuzzy set '${fuzzySet}' is listed twice; list its timeframes in one entry`);
      return void (ok = false);
    }
    const tfPath = childPath(p, 'timeframes');
    const raw = entry['timeframes'] ?? 'all';
    if (all === undefined) return void (ok = false); // timeframes already reported
    if (raw === 'all') return void out.push({ fuzzy_set: fuzzySet, timeframes: [...all] });
    if (typeof raw === 'string') {
      r.add(tfPath, `expected 'all' or a list of timeframes, got ${describe(raw)}`);
      return void (ok = false);
    }
    const list = r.stringList(raw, tfPath, { nonEmpty: true });
    if (list === undefined) return void (ok = false);
    const unknown = list.map((t, j) => [t, j] as const).filter(([t]) => !all.includes(t));
    for (const [t, j] of unknown) r.add(itemPath(tfPath, j), `timeframe '${t}' is not one of the strategy's timeframes (${all.join(', ')})`);
    if (unknown.length > 0) return void (ok = false);
    out.push({ fuzzy_set: fuzzySet, timeframes: all.filter((t) => list.includes(t)) });
  });
  return ok ? out : undefined;
}

function validateDecisions(
  r: DocumentReader,
  value: unknown,
  fuzzySets: DeclaredFuzzySets,
  timeframes: TimeframesConfig | undefined,
  nnInputs: NnInputConfig[] | undefined,
): DecisionsConfig | undefined {
  const path = 'decisions';
  const d = STRATEGY_DEFAULTS.decisions;
  const obj = r.object(value, path, false) ?? {};
  r.keys(obj, path, ['mode', 'output_format', 'confidence_threshold', 'position_awareness', 'filters', 'rules']);
  const mode = r.oneOf(obj, 'mode', path, ['neural', 'rules'] as const, d.mode);
  const outputFormat = r.oneOf(obj, 'output_format', path, ['classification'] as const, d.outputFormat);
  const threshold = r.number(obj, 'confidence_threshold', path, { min: 0, max: 1, default: d.confidenceThreshold });
  const positionAwareness = r.boolean(obj, 'position_awareness', path, d.positionAwareness);
  const filtersPath = childPath(path, 'filters');
  const filters = r.object(obj['filters'], filtersPath, false) ?? {};
  r.keys(filters, filtersPath, ['min_signal_separation']);
  const separation = r.number(filters, 'min_signal_separation', filtersPath, { integer: true, min: 0, default: d.minSignalSeparation });

  const rulesPath = childPath(path, 'rules');
  let rules: RulesConfig | undefined;
  let rulesOk = true;
  if (obj['rules'] === undefined || obj['rules'] === null) {
    if (mode === 'rules') {
      r.add(rulesPath, "is required when mode is 'rules' (e.g. rules: { buy: [rsi_14.oversold], sell: [rsi_14.overbought] })");
      rulesOk = false;
    }
  } else {
    rules = validateRules(r, obj['rules'], rulesPath, fuzzySets, timeframes, nnInputs);
    rulesOk = rules !== undefined;
  }

  if (mode === undefined || outputFormat === undefined || threshold === undefined || positionAwareness === undefined || separation === undefined || !rulesOk) {
    return undefined;
  }
  return {
    mode,
    output_format: outputFormat,
    confidence_threshold: threshold,
    position_awareness: positionAwareness,
    filters: { min_signal_separation: separation },
    ...(rules ? { rules } : {}),
  };
}

function validateRules(
  r: DocumentReader,
  value: unknown,
  path: string,
  fuzzySets: DeclaredFuzzySets,
  timeframes: TimeframesConfig | undefined,
  nnInputs: NnInputConfig[] | undefined,
): RulesConfig | undefined {
  const obj = r.object(value, path);
  if (obj === undefined) return undefined;
  r.keys(obj, path, ['buy', 'sell']);
  // Terms can only be resolved against a consistent strategy; otherwise check their shape only.
  const complete = timeframes !== undefined && nnInputs !== undefined && [...fuzzySets.values()].every((f) => f !== undefined);
  const ctx = complete
    ? {
        baseTimeframe: timeframes.base_timeframe,
        timeframes: timeframes.timeframes,
        setsByFuzzySet: new Map([...fuzzySets].map(([id, f]) => [id, Object.keys((f as FuzzySetConfig).sets)])),
        featureNames: new Set(
          featureNames({ nn_inputs: nnInputs, fuzzy_sets: Object.fromEntries(fuzzySets) as Record<string, FuzzySetConfig>, training_data: { timeframes } }),
        ),
      }
    : undefined;
  const side = (key: 'buy' | 'sell'): string[] | undefined => {
    const p = childPath(path, key);
    const raw = obj[key];
    if (raw === undefined || raw === null) return [];
    const terms = r.stringList(raw, p);
    if (terms === undefined || ctx === undefined) return terms;
    let ok = true;
    terms.forEach((term, i) => {
      const resolved = resolveRuleTerm(term, ctx);
      if (!resolved.ok) {
        r.add(itemPath(p, i), resolved.message);
        ok = false;
      }
    });
    return ok ? terms : undefined;
  };
  const buy = side('buy');
  const sell = side('sell');
  if (buy === undefined || sell === undefined) return undefined;
  if (buy.length === 0 && sell.length === 0) {
    r.add(path, 'needs at least one term under buy or sell');
    return undefined;
  }
  return { buy, sell };
}
