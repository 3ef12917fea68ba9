import {
  MEMBERSHIP_TYPES,
  membershipParameterProblem,
  type MembershipFunctionSpec,
  type MembershipType,
} from '../fuzzy/membership-function.js';
import { DocumentReader, IDENTIFIER_PATTERN, childPath, describe, isPlainObject } from './document-reader.js';
import type { FuzzySetConfig } from './strategy-config.js';
import { didYouMean } from './suggest-names.js';
import type { DeclaredIndicator } from './validate-indicators.js';

/** Keys of a fuzzy set that are not set names. */
const RESERVED_KEYS = ['indicator', 'sets'] as const;

/** Validated fuzzy sets; a declared but broken one maps to undefined (so it is not "unknown" later). */
export type DeclaredFuzzySets = Map<string, FuzzySetConfig | undefined>;

/**
 * Validates `fuzzy_sets:`. Sets are written inline (`oversold: [0, 0, 30]`) or, in the normalised
 * form this validator outputs, under `sets:`. `indicator` defaults to the fuzzy set's own id when
 * an indicator of that id exists.
 */
export function validateFuzzySets(r: DocumentReader, value: unknown, indicators: ReadonlyMap<string, DeclaredIndicator>): DeclaredFuzzySets {
  const path = 'fuzzy_sets';
  const declared: DeclaredFuzzySets = new Map();
  const obj = r.object(value, path);
  if (obj === undefined) return declared;
  if (Object.keys(obj).length === 0) r.add(path, 'must declare at least one fuzzy set');
  for (const [id, entry] of Object.entries(obj)) {
    const p = childPath(path, id);
    const before = r.issues.length;
    if (!IDENTIFIER_PATTERN.test(id)) r.add(p, `invalid fuzzy set id '${id}': use letters, digits and '_' (not starting with a digit)`);
    const config = validateFuzzySet(r, id, entry, p, indicators);
    declared.set(id, r.issues.length === before ? config : undefined);
  }
  return declared;
}

function validateFuzzySet(
  r: DocumentReader,
  id: string,
  entry: unknown,
  path: string,
  indicators: ReadonlyMap<string, DeclaredIndicator>,
): FuzzySetConfig | undefined {
  if (!isPlainObject(entry)) {
    r.add(path, `expected a mapping of 'indicator' and named membership functions, got ${describe(entry)}`);
    return undefined;
  }
  let indicator: string | undefined;
  if (entry['indicator'] === undefined && indicators.has(id)) indicator = id;
  else {
    indicator = r.string(entry, 'indicator', path);
    if (indicator !== undefined) checkIndicatorRef(r, indicator, childPath(path, 'indicator'), indicators);
  }

  const inline = Object.entries(entry).filter(([k]) => !(RESERVED_KEYS as readonly string[]).includes(k));
  let setEntries: [string, unknown][] = inline;
  let setsPath = path;
  if (entry['sets'] !== undefined) {
    const sets = r.object(entry['sets'], childPath(path, 'sets'));
    if (inline.length > 0) r.add(childPath(path, 'sets'), `write the sets either inline or under 'sets', not both (inline: ${inline.map(([k]) => k).join(', ')})`);
    setEntries = sets === undefined ? [] : Object.entries(sets);
    setsPath = childPath(path, 'sets');
  }
  if (setEntries.length === 0 && (entry['sets'] === undefined || isPlainObject(entry['sets']))) {
    r.add(path, 'must define at least one membership function, e.g. `low: [0, 0, 30]`');
  }
  const sets: [string, MembershipFunctionSpec][] = [];
  for (const [name, mf] of setEntries) {
    const p = childPath(setsPath, name);
    if (!IDENTIFIER_PATTERN.test(name)) {
      r.add(p, `invalid set name '${name}': use letters, digits and '_' (not starting with a digit)`);
      continue;
    }
    const spec = parseMembership(r, mf, p);
    if (spec) sets.push([name, spec]);
  }
  if (indicator === undefined) return undefined;
  return { indicator, sets: Object.fromEntries(sets) };
}

function checkIndicatorRef(r: DocumentReader, ref: string, path: string, indicators: ReadonlyMap<string, DeclaredIndicator>): void {
  const dot = ref.indexOf('.');
  const id = dot >= 0 ? ref.slice(0, dot) : ref;
  const output = dot >= 0 ? ref.slice(dot + 1) : undefined;
  const declared = indicators.get(id);
  if (declared === undefined) {
    r.add(path, `unknown indicator '${id}'${didYouMean(id, indicators.keys())}; declared: ${[...indicators.keys()].join(', ') || '(none)'}`);
    return;
  }
  const outputs = declared.outputs;
  if (outputs === undefined) return; // its type is already reported as unknown
  if (output === undefined) {
    if (outputs.length > 1) {
      r.add(path, `indicator '${id}' has several outputs; write '${id}.<output>' with one of: ${outputs.join(', ')}`);
    }
    return;
  }
  if (!outputs.includes(output)) {
    r.add(path, `indicator '${id}' has no output '${output}'${didYouMean(output, outputs)}; outputs: ${outputs.join(', ')}`);
  }
}

/** `[a, b, c]` → triangular, `[a, b, c, d]` → trapezoidal, or `{ type, parameters }`. */
function parseMembership(r: DocumentReader, value: unknown, path: string): MembershipFunctionSpec | undefined {
  let type: MembershipType | undefined;
  let params: unknown;
  let paramsPath = path;
  if (Array.isArray(value)) {
    params = value;
    if (value.length === 3) type = 'triangular';
    else if (value.length === 4) type = 'trapezoidal';
    else {
      r.add(path, `expected 3 numbers (triangular) or 4 numbers (trapezoidal), got ${value.length}; use { type: gaussian, parameters: [mean, sigma] } for a gaussian`);
      return undefined;
    }
  } else if (isPlainObject(value)) {
    r.keys(value, path, ['type', 'parameters']);
    params = value['parameters'];
    paramsPath = childPath(path, 'parameters');
    if (!Array.isArray(params)) {
      r.add(paramsPath, params === undefined ? 'is required' : `expected a list of numbers, got ${describe(params)}`);
      return undefined;
    }
    if (value['type'] === undefined) type = params.length === 4 ? 'trapezoidal' : 'triangular';
    else {
      type = r.oneOf(value, 'type', path, MEMBERSHIP_TYPES);
      if (type === undefined) return undefined;
    }
  } else {
    r.add(path, `expected a membership function ([a, b, c], [a, b, c, d] or { type, parameters }), got ${describe(value)}`);
    return undefined;
  }
  const list = params as unknown[];
  const bad = list.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) {
    r.add(`${paramsPath}[${bad}]`, `expected a number, got ${describe(list[bad])}`);
    return undefined;
  }
  const numbers = list as number[];
  const problem = membershipParameterProblem(type, numbers);
  if (problem !== undefined) {
    r.add(paramsPath, problem);
    return undefined;
  }
  return { type, parameters: numbers } as unknown as MembershipFunctionSpec;
}
