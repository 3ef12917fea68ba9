import type { OhlcvSeries } from '../data/ohlcv.js';
import { closestName } from './closest-name.js';
import { type IndicatorDefinition, INDICATOR_DEFINITIONS, type ParamDefinition, type ResolvedParams } from './indicator-catalog.js';
import { type IndicatorSpecIssue, InvalidIndicatorSpecError } from './indicator-error.js';
import type { IndicatorOutputs, IndicatorSpec } from './indicator-spec.js';
import { isPriceSource, PRICE_SOURCES, type PriceSource } from './price-source.js';

/** Canonical indicator type names, lowercase: sma, ema, rsi, macd, bollinger_bands, atr, adx, stochastic, roc, obv. */
export const INDICATOR_TYPES: readonly string[] = Object.freeze(INDICATOR_DEFINITIONS.map((d) => d.type));

/**
 * The canonical name of an indicator type, matched case-insensitively (surrounding blanks ignored)
 * against the canonical names and the aliases `bbands`, `bollinger`, `bollingerbands`
 * (→ `bollinger_bands`) and `stoch` (→ `stochastic`). Undefined for an unknown type.
 */
export function canonicalIndicatorType(type: string): string | undefined {
  return definitionOf(type)?.type;
}

/**
 * Output names of an indicator type (any accepted spelling): `['value']` for single-output
 * indicators, e.g. `['macd', 'signal', 'histogram']` for macd. Undefined for an unknown type.
 */
export function indicatorOutputs(type: string): readonly string[] | undefined {
  return definitionOf(type)?.outputs;
}

/**
 * Every problem with a spec (empty when it is valid): an unknown type (listing the known ones), a
 * parameter the type does not take (with a close-name suggestion, so `peroid` is caught), a period
 * that is not an integer >= 1, a multiplier that is not a finite number > 0, an unknown `source`,
 * and for macd `fast_period >= slow_period`. Paths are relative to the spec (`period`, `type`).
 */
export function validateIndicatorSpec(spec: IndicatorSpec): IndicatorSpecIssue[] {
  return resolveSpec(spec).issues;
}

/**
 * Computes an indicator over a whole series. Every output array is as long as the series, NaN
 * during warm-up (and entirely NaN when the series is shorter than the warm-up).
 * @throws InvalidIndicatorSpecError when {@link validateIndicatorSpec} reports any issue.
 */
export function computeIndicator(spec: IndicatorSpec, series: OhlcvSeries): IndicatorOutputs {
  const { definition, params } = resolveOrThrow(spec);
  return definition.compute(params, series);
}

/**
 * Bars before the first bar at which every output has a value (with finite inputs): index of the
 * first fully non-NaN row. E.g. rsi 14 → 14, macd 12/26/9 → 33, adx 14 → 27, obv → 0. A strategy
 * needs at least this many bars of history before the first bar it acts on.
 * @throws InvalidIndicatorSpecError when {@link validateIndicatorSpec} reports any issue.
 */
export function indicatorWarmup(spec: IndicatorSpec): number {
  const { definition, params } = resolveOrThrow(spec);
  return definition.warmup(params);
}

function definitionOf(type: string): IndicatorDefinition | undefined {
  if (typeof type !== 'string') return undefined;
  const key = type.trim().toLowerCase();
  return INDICATOR_DEFINITIONS.find((d) => d.type === key || d.aliases.includes(key));
}

interface Resolution {
  readonly definition: IndicatorDefinition | undefined;
  readonly params: ResolvedParams | undefined;
  readonly issues: IndicatorSpecIssue[];
}

function resolveOrThrow(spec: IndicatorSpec): { definition: IndicatorDefinition; params: ResolvedParams } {
  const { definition, params, issues } = resolveSpec(spec);
  if (definition === undefined || params === undefined || issues.length > 0) {
    throw new InvalidIndicatorSpecError(String((spec as { type?: unknown } | null)?.type), issues);
  }
  return { definition, params };
}

function resolveSpec(spec: IndicatorSpec): Resolution {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    return failed({ path: '', message: `expected a mapping with a 'type', got ${describe(spec)}` });
  }
  const rawType: unknown = spec.type;
  if (typeof rawType !== 'string') {
    return failed({ path: 'type', message: `must name an indicator type (${INDICATOR_TYPES.join(', ')}), got ${describe(rawType)}` });
  }
  const definition = definitionOf(rawType);
  if (definition === undefined) {
    const names = INDICATOR_DEFINITIONS.flatMap((d) => [d.type, ...d.aliases]);
    return failed({ path: 'type', message: `unknown indicator type '${rawType}'${hint(rawType, names)}; known: ${INDICATOR_TYPES.join(', ')}` });
  }

  const issues: IndicatorSpecIssue[] = [];
  const known = definition.params.map((p) => p.name);
  for (const key of Object.keys(spec)) {
    if (key === 'type' || known.includes(key)) continue;
    const message =
      known.length === 0
        ? `unknown parameter '${key}': ${definition.type} takes no parameters`
        : `unknown parameter '${key}' for ${definition.type}${hint(key, known)}; known: ${known.join(', ')}`;
    issues.push({ path: key, message });
  }

  const numbers = new Map<string, number>();
  let source: PriceSource = 'close';
  for (const param of definition.params) {
    const value: unknown = spec[param.name] === undefined ? param.defaultValue : spec[param.name];
    const problem = checkParam(param, value);
    if (problem !== undefined) issues.push({ path: param.name, message: problem });
    else if (param.kind === 'source') source = value as PriceSource;
    else numbers.set(param.name, value as number);
  }
  const params: ResolvedParams = {
    source,
    num(name: string): number {
      const v = numbers.get(name);
      if (v === undefined) throw new Error(`indicator '${definition.type}' has no numeric parameter '${name}'`);
      return v;
    },
  };
  if (issues.length === 0 && definition.check !== undefined) issues.push(...definition.check(params));
  return { definition, params, issues };
}

function checkParam(param: ParamDefinition, value: unknown): string | undefined {
  switch (param.kind) {
    case 'period':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1
        ? undefined
        : `must be an integer >= 1, got ${describe(value)}`;
    case 'multiplier':
      return typeof value === 'number' && Number.isFinite(value) && value > 0
        ? undefined
        : `must be a finite number > 0, got ${describe(value)}`;
    case 'source':
      if (isPriceSource(value)) return undefined;
      return typeof value === 'string'
        ? `unknown source '${value}'${hint(value, PRICE_SOURCES)}; known: ${PRICE_SOURCES.join(', ')}`
        : `must be one of ${PRICE_SOURCES.join(', ')}, got ${describe(value)}`;
  }
}

function failed(issue: IndicatorSpecIssue): Resolution {
  return { definition: undefined, params: undefined, issues: [issue] };
}

function hint(input: string, candidates: readonly string[]): string {
  const name = closestName(input, candidates);
  return name === undefined ? '' : ` (did you mean '${name}'?)`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}' (a string)`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
