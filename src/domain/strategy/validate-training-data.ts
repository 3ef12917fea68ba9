import { TIMEFRAME_PATTERN, timeframeToMs } from '../data/timeframe.js';
import { DocumentReader, childPath } from './document-reader.js';
import type { SymbolsConfig, TimeframesConfig, TrainingDataConfig } from './strategy-config.js';
import { STRATEGY_DEFAULTS } from './strategy-defaults.js';

/** Symbols are used in data file names, so keep them to a safe alphabet. */
const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SYMBOL_HINT = 'use letters, digits, ".", "_" and "-"';
const TIMEFRAME_HINT = 'expected a number and a unit m, h, d, w or M (e.g. 1h, 4h, 1d)';

/** Partial result: what could be read (undefined parts were reported). */
export interface ReadTrainingData {
  readonly config: TrainingDataConfig | undefined;
  /** Timeframes, when readable, even if another part of training_data is broken. */
  readonly timeframes: TimeframesConfig | undefined;
}

/**
 * Validates `training_data`. Accepts KTRDR's `list:` as an alias of `symbols:` / `timeframes:`
 * in multi modes, and (so the normalised output re-validates) a one-element `symbols:` /
 * `timeframes:` list in single mode.
 */
export function validateTrainingData(r: DocumentReader, value: unknown): ReadTrainingData {
  const path = 'training_data';
  const obj = r.object(value, path);
  if (obj === undefined) return { config: undefined, timeframes: undefined };
  r.keys(obj, path, ['symbols', 'timeframes', 'history_required']);
  const symbols = readSymbols(r, obj['symbols'], childPath(path, 'symbols'));
  const timeframes = readTimeframes(r, obj['timeframes'], childPath(path, 'timeframes'));
  const historyRequired = r.number(obj, 'history_required', path, { integer: true, min: 0, default: STRATEGY_DEFAULTS.historyRequired });
  const config = symbols && timeframes && historyRequired !== undefined ? { symbols, timeframes, history_required: historyRequired } : undefined;
  return { config, timeframes };
}

function readSymbols(r: DocumentReader, value: unknown, path: string): SymbolsConfig | undefined {
  const obj = r.object(value, path);
  if (obj === undefined) return undefined;
  const mode = r.oneOf(obj, 'mode', path, ['single', 'multi_symbol'] as const);
  if (mode === undefined) return undefined;
  if (mode === 'single') {
    r.keys(obj, path, ['mode', 'symbol'], ['symbols']);
    const list = singleOrList(r, obj, path, 'symbol', 'symbols', SYMBOL_PATTERN, SYMBOL_HINT);
    return list && { mode, symbols: list };
  }
  r.keys(obj, path, ['mode', 'symbols', 'list']);
  const list = multiList(r, obj, path, 'symbols', SYMBOL_PATTERN, SYMBOL_HINT);
  return list && { mode, symbols: list };
}

function readTimeframes(r: DocumentReader, value: unknown, path: string): TimeframesConfig | undefined {
  const obj = r.object(value, path);
  if (obj === undefined) return undefined;
  const mode = r.oneOf(obj, 'mode', path, ['single', 'multi_timeframe'] as const);
  if (mode === undefined) return undefined;
  let list: string[] | undefined;
  if (mode === 'single') {
    r.keys(obj, path, ['mode', 'timeframe'], ['timeframes', 'base_timeframe']);
    list = singleOrList(r, obj, path, 'timeframe', 'timeframes', TIMEFRAME_PATTERN, TIMEFRAME_HINT);
  } else {
    r.keys(obj, path, ['mode', 'timeframes', 'base_timeframe', 'list']);
    list = multiList(r, obj, path, 'timeframes', TIMEFRAME_PATTERN, TIMEFRAME_HINT);
  }
  if (list === undefined) return undefined;
  // The pattern admits '0h'; timeframeToMs would throw on it.
  const zero = list.findIndex((t) => !(Number(t.slice(0, -1)) > 0));
  if (zero >= 0) {
    r.add(path, `timeframe '${list[zero]}' must have a positive length`);
    return undefined;
  }
  const shortest = [...list].sort((a, b) => timeframeToMs(a) - timeframeToMs(b))[0] as string;
  const base = r.string(obj, 'base_timeframe', path, { default: shortest });
  if (base === undefined) return undefined;
  if (!list.includes(base)) {
    r.add(childPath(path, 'base_timeframe'), `'${base}' is not one of the strategy's timeframes (${list.join(', ')})`);
    return undefined;
  }
  return { mode, timeframes: list, base_timeframe: base };
}

/** Single mode: `key: X`, or (normalised form) `listKey: [X]`. */
function singleOrList(r: DocumentReader, obj: Record<string, unknown>, path: string, key: string, listKey: string, pattern: RegExp, hint: string): string[] | undefined {
  if (obj[key] === undefined && Array.isArray(obj[listKey])) {
    const list = r.stringList(obj[listKey], childPath(path, listKey), { pattern, patternHint: hint, nonEmpty: true });
    if (list && list.length !== 1) {
      r.add(childPath(path, listKey), `mode single takes exactly one entry, got ${list.length}; use mode ${key === 'symbol' ? 'multi_symbol' : 'multi_timeframe'}`);
      return undefined;
    }
    return list;
  }
  const one = r.string(obj, key, path, { pattern, patternHint: hint });
  return one === undefined ? undefined : [one];
}

/** Multi mode: `listKey: [..]`, or KTRDR's `list: [..]`. */
function multiList(r: DocumentReader, obj: Record<string, unknown>, path: string, listKey: string, pattern: RegExp, hint: string): string[] | undefined {
  const key = obj[listKey] === undefined && obj['list'] !== undefined ? 'list' : listKey;
  if (obj[key] === undefined) {
    r.add(childPath(path, listKey), 'is required');
    return undefined;
  }
  return r.stringList(obj[key], childPath(path, key), { pattern, patternHint: hint, nonEmpty: true });
}

