import { DocumentReader, childPath, describe, isPlainObject } from './document-reader.js';
import type { CostsConfig, PositionSizeConfig, SignalSeparationConfig, TradingConfig } from './strategy-config.js';
import { STRATEGY_DEFAULTS } from './strategy-defaults.js';

const COST_KEYS = ['commission_bps', 'fee_per_trade', 'slippage_bps', 'slippage_pips', 'pip_size'] as const;
/** A duration such as `4h`, `30m`, `2d`, `1w`. */
export const DURATION_PATTERN = /^[0-9]+[mhdw]$/;
const BARS_PATTERN = /^([0-9]+)\s*bars?$/;

/** Reads a `min_signal_separation` value: a number (bars), `'6 bars'`, a duration `'4h'`, or `{ bars }` / `{ duration }`. */
export function readSignalSeparation(r: DocumentReader, value: unknown, path: string): SignalSeparationConfig | undefined {
  if (typeof value === 'number') {
    const bars = r.checkNumber(value, path, { integer: true, min: 0 });
    return bars === undefined ? undefined : { bars };
  }
  if (typeof value === 'string') {
    const v = value.trim();
    const m = BARS_PATTERN.exec(v);
    if (m) return { bars: Number(m[1]) };
    if (DURATION_PATTERN.test(v)) return { duration: v };
  } else if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'bars') {
      const bars = r.checkNumber(value['bars'], childPath(path, 'bars'), { integer: true, min: 0 });
      return bars === undefined ? undefined : { bars };
    }
    if (keys.length === 1 && keys[0] === 'duration' && typeof value['duration'] === 'string' && DURATION_PATTERN.test(value['duration'])) {
      return { duration: value['duration'] };
    }
  }
  r.add(path, `expected a number of bars (6, '6 bars') or a duration since the last fill ('4h', '30m', '2d'), got ${describe(value)}`);
  return undefined;
}

/** Reads a `position_size` value: a fraction in (0, 1], `{ fraction }` or `{ units }`. */
export function readPositionSize(r: DocumentReader, value: unknown, path: string): PositionSizeConfig | undefined {
  if (typeof value === 'number') {
    const fraction = r.checkNumber(value, path, { above: 0, max: 1 });
    return fraction === undefined ? undefined : { fraction };
  }
  if (isPlainObject(value) && Object.keys(value).length === 1) {
    if ('fraction' in value) {
      const fraction = r.checkNumber(value['fraction'], childPath(path, 'fraction'), { above: 0, max: 1 });
      return fraction === undefined ? undefined : { fraction };
    }
    if ('units' in value) {
      const units = r.checkNumber(value['units'], childPath(path, 'units'), { above: 0 });
      return units === undefined ? undefined : { units };
    }
  }
  r.add(path, `expected a fraction of equity in (0, 1] (e.g. 0.25), { fraction: 0.25 } or { units: 100 }, got ${describe(value)}`);
  return undefined;
}

function readCosts(r: DocumentReader, value: unknown, path: string, allowSymbols: boolean): (CostsConfig & { symbols?: Record<string, CostsConfig> }) | undefined {
  const obj = r.object(value, path, false);
  if (obj === undefined) return undefined;
  r.keys(obj, path, allowSymbols ? [...COST_KEYS, 'symbols'] : COST_KEYS);
  const out: Record<string, unknown> = {};
  for (const key of COST_KEYS) {
    if (obj[key] === undefined || obj[key] === null) continue;
    const v = r.checkNumber(obj[key], childPath(path, key), key === 'pip_size' ? { above: 0 } : { min: 0 });
    if (v !== undefined) out[key] = v;
  }
  if (allowSymbols && obj['symbols'] !== undefined && obj['symbols'] !== null) {
    const symbolsPath = childPath(path, 'symbols');
    const symbols = r.object(obj['symbols'], symbolsPath);
    if (symbols !== undefined) {
      const bySymbol: Record<string, CostsConfig> = {};
      for (const [symbol, costs] of Object.entries(symbols)) {
        const c = readCosts(r, costs, childPath(symbolsPath, symbol), false);
        if (c !== undefined) bySymbol[symbol.toUpperCase()] = c;
      }
      out['symbols'] = bySymbol;
    }
  }
  return out as CostsConfig & { symbols?: Record<string, CostsConfig> };
}

/** Validates the optional `trading:` block (position semantics and costs); defaults per {@link TradingConfig}. */
export function validateTrading(r: DocumentReader, value: unknown): TradingConfig | undefined {
  const path = 'trading';
  const d = STRATEGY_DEFAULTS.trading;
  const obj = r.object(value, path, false) ?? {};
  r.keys(obj, path, ['allow_short', 'on_opposite_signal', 'position_size', 'min_signal_separation', 'maintenance_margin', 'costs']);
  const before = r.issues.length;
  const allowShort = r.boolean(obj, 'allow_short', path, d.allowShort);
  const onOpposite = r.oneOf(obj, 'on_opposite_signal', path, ['close', 'reverse'] as const, d.onOppositeSignal);
  const positionSize = obj['position_size'] === undefined || obj['position_size'] === null
    ? { fraction: d.positionSizeFraction }
    : readPositionSize(r, obj['position_size'], childPath(path, 'position_size'));
  const separation = obj['min_signal_separation'] === undefined || obj['min_signal_separation'] === null
    ? undefined
    : readSignalSeparation(r, obj['min_signal_separation'], childPath(path, 'min_signal_separation'));
  const margin = r.number(obj, 'maintenance_margin', path, { min: 0, max: 0.9, default: d.maintenanceMargin });
  const costs = readCosts(r, obj['costs'], childPath(path, 'costs'), true);
  if (r.issues.length > before || allowShort === undefined || onOpposite === undefined || positionSize === undefined || margin === undefined) {
    return undefined;
  }
  return {
    allow_short: allowShort,
    on_opposite_signal: onOpposite,
    position_size: positionSize,
    ...(separation ? { min_signal_separation: separation } : {}),
    maintenance_margin: margin,
    ...(costs ? { costs } : {}),
  };
}
