import type { StrategyIssue } from './strategy-validation-error.js';
import { didYouMean } from './suggest-names.js';

/** A plain mapping read from YAML/JSON. */
export type PlainObject = Record<string, unknown>;

/** Identifiers used for indicator ids, fuzzy set ids and set names (they end up in feature names). */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Appends a key to a dotted path. */
export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Appends a list index to a path. */
export function itemPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** Short description of a value's type for messages: `a string ('abc')`, `a list`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `a string ('${value.length > 40 ? `${value.slice(0, 40)}…` : value}')`;
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface NumberRule {
  /** Inclusive lower bound. */ min?: number;
  /** Inclusive upper bound. */ max?: number;
  /** Exclusive lower bound. */ above?: number;
  /** Exclusive upper bound. */ below?: number;
  integer?: boolean;
}

/**
 * Collects issues while reading an untrusted document. Every `read*` method reports a problem
 * at its path and returns `undefined` (or the default when the key is absent), so validation
 * goes on and reports everything in one pass.
 */
export class DocumentReader {
  readonly issues: StrategyIssue[] = [];

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** `value` as a mapping, or undefined (with an issue unless absent and optional). */
  object(value: unknown, path: string, required = true): PlainObject | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(path, 'is required');
      return undefined;
    }
    if (!isPlainObject(value)) {
      this.add(path, `expected a mapping, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** Reports keys of `obj` that are neither in `allowed` nor in `ignored`. */
  keys(obj: PlainObject, path: string, allowed: readonly string[], ignored: readonly string[] = []): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key) || ignored.includes(key)) continue;
      this.add(childPath(path, key), `unknown key${didYouMean(key, allowed)}; allowed: ${allowed.join(', ')}`);
    }
  }

  string(obj: PlainObject, key: string, path: string, opts: { default?: string; pattern?: RegExp; patternHint?: string } = {}): string | undefined {
    const p = childPath(path, key);
    const value = obj[key];
    if (value === undefined || value === null) {
      if (opts.default === undefined) this.add(p, 'is required');
      return opts.default;
    }
    if (typeof value !== 'string') {
      this.add(p, `expected a string, got ${describe(value)}`);
      return undefined;
    }
    if (value.trim() === '') {
      this.add(p, 'must not be empty');
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(value)) {
      this.add(p, `invalid value '${value}'${opts.patternHint ? `: ${opts.patternHint}` : ''}`);
      return undefined;
    }
    return value;
  }

  number(obj: PlainObject, key: string, path: string, rule: NumberRule & { default?: number } = {}): number | undefined {
    const p = childPath(path, key);
    const value = obj[key];
    if (value === undefined || value === null) {
      if (rule.default === undefined) this.add(p, 'is required');
      return rule.default;
    }
    return this.checkNumber(value, p, rule);
  }

  /** Checks an already-extracted value against a number rule. */
  checkNumber(value: unknown, path: string, rule: NumberRule): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.add(path, `expected ${rule.integer ? 'an integer' : 'a number'}, got ${describe(value)}`);
      return undefined;
    }
    if (rule.integer && !Number.isInteger(value)) {
      this.add(path, `expected an integer, got ${value}`);
      return undefined;
    }
    const problems: string[] = [];
    if (rule.min !== undefined && value < rule.min) problems.push(`≥ ${rule.min}`);
    if (rule.max !== undefined && value > rule.max) problems.push(`≤ ${rule.max}`);
    if (rule.above !== undefined && value <= rule.above) problems.push(`> ${rule.above}`);
    if (rule.below !== undefined && value >= rule.below) problems.push(`< ${rule.below}`);
    if (problems.length > 0) {
      this.add(path, `must be ${problems.join(' and ')}, got ${value}`);
      return undefined;
    }
    return value;
  }

  boolean(obj: PlainObject, key: string, path: string, defaultValue: boolean): boolean | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return defaultValue;
    if (typeof value !== 'boolean') {
      this.add(childPath(path, key), `expected true or false, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(obj: PlainObject, key: string, path: string, values: readonly T[], defaultValue?: T): T | undefined {
    const p = childPath(path, key);
    const value = obj[key];
    if (value === undefined || value === null) {
      if (defaultValue === undefined) this.add(p, `is required (one of: ${values.join(', ')})`);
      return defaultValue;
    }
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      const hint = typeof value === 'string' ? didYouMean(value, values) : '';
      this.add(p, `expected one of ${values.join(', ')}, got ${describe(value)}${hint}`);
      return undefined;
    }
    return value as T;
  }

  /** A list of strings; duplicates are reported. */
  stringList(value: unknown, path: string, opts: { pattern?: RegExp; patternHint?: string; nonEmpty?: boolean } = {}): string[] | undefined {
    if (!Array.isArray(value)) {
      this.add(path, `expected a list, got ${describe(value)}`);
      return undefined;
    }
    if (opts.nonEmpty && value.length === 0) {
      this.add(path, 'must not be empty');
      return undefined;
    }
    const out: string[] = [];
    let ok = true;
    value.forEach((item: unknown, i) => {
      const p = itemPath(path, i);
      if (typeof item !== 'string' || item.trim() === '') {
        this.add(p, `expected a non-empty string, got ${describe(item)}`);
        ok = false;
      } else if (opts.pattern && !opts.pattern.test(item)) {
        this.add(p, `invalid value '${item}'${opts.patternHint ? `: ${opts.patternHint}` : ''}`);
        ok = false;
      } else if (out.includes(item)) {
        this.add(p, `duplicate '${item}'`);
        ok = false;
      } else out.push(item);
    });
    return ok ? out : undefined;
  }
}
