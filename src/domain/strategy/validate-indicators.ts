import type { IndicatorSpec } from '../indicators/indicator-spec.js';
import { INDICATOR_TYPES, canonicalIndicatorType, indicatorOutputs, validateIndicatorSpec } from '../indicators/registry.js';
import { DocumentReader, IDENTIFIER_PATTERN, childPath, describe, isPlainObject } from './document-reader.js';
import { didYouMean } from './suggest-names.js';

/** What the rest of validation needs to know about one declared indicator. */
export interface DeclaredIndicator {
  /** The spec with a canonical type; undefined when the entry is malformed. */
  readonly spec: IndicatorSpec | undefined;
  /** Output names (`['value']` for single-output); undefined when the type is unknown. */
  readonly outputs: readonly string[] | undefined;
}

/**
 * Validates the `indicators:` mapping. Returns every declared id (valid or not) so references
 * to a broken indicator are not reported a second time as "unknown".
 */
export function validateIndicators(r: DocumentReader, value: unknown): Map<string, DeclaredIndicator> {
  const path = 'indicators';
  const declared = new Map<string, DeclaredIndicator>();
  const obj = r.object(value, path);
  if (obj === undefined) return declared;
  if (Object.keys(obj).length === 0) r.add(path, 'must declare at least one indicator');
  for (const [id, entry] of Object.entries(obj)) {
    const p = childPath(path, id);
    if (!IDENTIFIER_PATTERN.test(id)) {
      r.add(p, `invalid indicator id '${id}': use letters, digits and '_' (not starting with a digit)`);
    }
    declared.set(id, validateOne(r, entry, p));
  }
  return declared;
}

function validateOne(r: DocumentReader, entry: unknown, path: string): DeclaredIndicator {
  if (!isPlainObject(entry)) {
    r.add(path, `expected a mapping with a 'type', got ${describe(entry)}`);
    return { spec: undefined, outputs: undefined };
  }
  const rawType = r.string(entry, 'type', path);
  if (rawType === undefined) return { spec: undefined, outputs: undefined };
  const type = canonicalIndicatorType(rawType);
  if (type === undefined) {
    r.add(childPath(path, 'type'), `unknown indicator type '${rawType}'${didYouMean(rawType, INDICATOR_TYPES)}; known: ${INDICATOR_TYPES.join(', ')}`);
    return { spec: undefined, outputs: undefined };
  }
  const spec: IndicatorSpec = { ...entry, type };
  const issues = validateIndicatorSpec(spec);
  for (const issue of issues) r.add(prefixIssuePath(path, issue.path), issue.message);
  return { spec: issues.length === 0 ? spec : undefined, outputs: indicatorOutputs(type) };
}

// The registry reports paths relative to the spec ('period'); tolerate it already including
// a leading dot or nothing at all.
function prefixIssuePath(base: string, rel: string): string {
  const trimmed = rel.replace(/^\.+/, '');
  return trimmed === '' ? base : childPath(base, trimmed);
}
