/** Small, dependency-free number and time formatting for CLI output. */

/** A finite number, or undefined for anything else (missing field, string, NaN). */
export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A fraction as a percentage: `0.0523` → `5.23%`. `undefined` when not a number. */
export function formatPercent(fraction: unknown, digits = 2): string | undefined {
  const n = asNumber(fraction);
  return n === undefined ? undefined : `${(n * 100).toFixed(digits)}%`;
}

/** A number with thousands separators and fixed decimals: `12345.6` → `12,345.60`. */
export function formatAmount(value: unknown, digits = 2): string | undefined {
  const n = asNumber(value);
  return n === undefined
    ? undefined
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A plain number with fixed decimals: `1.23456` → `1.23`. */
export function formatFixed(value: unknown, digits = 2): string | undefined {
  const n = asNumber(value);
  return n === undefined ? undefined : n.toFixed(digits);
}

/** An integer count, or the value's text when it is not a number. */
export function formatCount(value: unknown): string | undefined {
  const n = asNumber(value);
  return n === undefined ? undefined : String(Math.round(n));
}

/** Milliseconds as `45s`, `3m05s` or `1h02m`. Negative or non-finite → undefined. */
export function formatDuration(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** An ISO timestamp shortened for tables: `2024-05-01T10:03:07.123Z` → `2024-05-01 10:03:07`. */
export function formatTimestamp(iso: string | null | undefined): string | undefined {
  if (iso === null || iso === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}
