import { InvalidArgumentError } from 'commander';
import { OPERATION_STATUSES, type OperationStatus } from '../contracts/index.js';

/** Commander value parsers: each throws InvalidArgumentError, which commander reports as a usage error (exit 2). */

/** A finite number (`--capital 100000`, `--commission 0.001`). */
export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`'${value}' is not a number.`);
  return n;
}

/** A number ≥ 0. */
export function parseNonNegativeNumber(value: string): number {
  const n = parseNumber(value);
  if (n < 0) throw new InvalidArgumentError(`'${value}' must be 0 or more.`);
  return n;
}

/** An integer ≥ 0 (`--backtest-workers 0`). */
export function parseCount(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${value}' must be a whole number, 0 or more.`);
  return n;
}

/** An integer ≥ 1 (`--limit 20`). */
export function parsePositiveInteger(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' must be a whole number, 1 or more.`);
  return n;
}

/** A TCP port, 0–65535 (0 = any free port). */
export function parsePort(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`'${value}' is not a port (0-65535).`);
  return n;
}

/** `YYYY-MM-DD` or a full ISO-8601 timestamp; returned as given. */
export function parseDate(value: string): string {
  const v = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v.replace(' ', 'T')))) {
    throw new InvalidArgumentError(`'${value}' is not a date (expected YYYY-MM-DD).`);
  }
  return v;
}

/** Adds comma-separated values to a list, so `--symbols A,B` and `--symbol A --symbol B` both work. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError(`'${value}' is empty.`);
  return [...(previous ?? []), ...items];
}

/**
 * A market symbol, upper-cased: data files are `{SYMBOL}_{TIMEFRAME}.csv`, so `eurusd` means
 * `EURUSD` (on a case-sensitive file system it would otherwise find no data).
 */
export function parseSymbol(value: string): string {
  const v = value.trim();
  if (!/^[A-Za-z0-9._-]+$/.test(v)) throw new InvalidArgumentError(`'${value}' is not a symbol (letters, digits, '.', '_' or '-', e.g. EURUSD).`);
  return v.toUpperCase();
}

/** {@link collectList} of {@link parseSymbol}s: `--symbols eurusd,gbpusd` → `['EURUSD', 'GBPUSD']`. */
export function collectSymbols(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...collectList(value, undefined).map(parseSymbol)];
}

/** One of the operation statuses. */
export function parseOperationStatus(value: string): OperationStatus {
  const v = value.trim().toLowerCase();
  if (!(OPERATION_STATUSES as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(`'${value}' is not a status (one of ${OPERATION_STATUSES.join(', ')}).`);
  }
  return v as OperationStatus;
}
