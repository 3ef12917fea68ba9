import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SYMBOL_PATTERN } from '../../contracts/patterns.js';
import { DataError } from './data-error.js';
import { isTimeframe, timeframeToMs } from './timeframe.js';

/** One OHLCV file found in a data directory. */
export interface AvailableData {
  readonly symbol: string;
  readonly timeframe: string;
  /** Full path of the file (`{dataDir}/{symbol}_{timeframe}.csv`). */
  readonly path: string;
}

/** Throws `DATA_INVALID` unless `symbol` matches {@link SYMBOL_PATTERN}. */
export function assertSymbol(symbol: string): void {
  // '.' and '..' match the pattern but would make odd file names; no real symbol is only dots.
  if (!SYMBOL_PATTERN.test(symbol) || /^\.+$/.test(symbol)) {
    throw new DataError(
      'DATA_INVALID',
      `invalid symbol '${symbol}': use only letters, digits, '.', '_' and '-' (e.g. EURUSD)`,
      { symbol },
    );
  }
}

/** Throws `DATA_INVALID` unless `timeframe` is a positive timeframe like `1h`, `4h`, `1d`, `15m`. */
export function assertTimeframe(timeframe: string): void {
  let ok = isTimeframe(timeframe);
  if (ok) {
    try {
      timeframeToMs(timeframe);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new DataError(
      'DATA_INVALID',
      `invalid timeframe '${timeframe}': expected a positive number and a unit (m, h, d, w, M), e.g. 1h, 4h, 1d`,
      { timeframe },
    );
  }
}

/**
 * Path of the canonical OHLCV file for a symbol and timeframe: `{dataDir}/{SYMBOL}_{TIMEFRAME}.csv`.
 * Validates both first, so a symbol can never escape `dataDir`.
 */
export function ohlcvPath(dataDir: string, symbol: string, timeframe: string): string {
  assertSymbol(symbol);
  assertTimeframe(timeframe);
  return join(dataDir, `${symbol}_${timeframe}.csv`);
}

const FILE_PATTERN = /^(.+)_([0-9]+[mhdwM])\.csv$/;

/**
 * Lists the OHLCV files in `dataDir` (files named `{SYMBOL}_{TIMEFRAME}.csv`), sorted by symbol
 * and then by bar duration. Other files are ignored; the files are not opened.
 * Throws `DATA_NOT_FOUND` when `dataDir` does not exist.
 */
export function listAvailableData(dataDir: string): AvailableData[] {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch (err) {
    throw new DataError('DATA_NOT_FOUND', `data directory '${dataDir}' does not exist or cannot be read`, { file: dataDir }, { cause: err });
  }
  const found: AvailableData[] = [];
  for (const name of names) {
    const m = FILE_PATTERN.exec(name);
    if (m === null) continue;
    const symbol = m[1] as string;
    const timeframe = m[2] as string;
    if (!SYMBOL_PATTERN.test(symbol) || !isTimeframe(timeframe) || Number(timeframe.slice(0, -1)) <= 0) continue;
    const path = join(dataDir, name);
    try {
      if (!statSync(path).isFile()) continue;
    } catch {
      continue; // vanished between readdir and stat
    }
    found.push({ symbol, timeframe, path });
  }
  return found.sort((a, b) =>
    a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : timeframeToMs(a.timeframe) - timeframeToMs(b.timeframe),
  );
}
