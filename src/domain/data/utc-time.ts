/**
 * Allocation-free UTC timestamp parsing and formatting for CSV loading. `Date.parse` is both
 * slower and laxer (it accepts zone-less strings as local time), so timestamps are parsed by hand.
 */

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a proleptic Gregorian date (month 1-12). Howard Hinnant's days_from_civil. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Value of `n` ASCII digits at `s[i..i+n)`, or -1 when any of them is not a digit. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Options for {@link parseUtcTimestamp}. */
export interface ParseTimestampOptions {
  /**
   * Treat a date-time without `Z` or an offset as UTC. When false such a string is rejected
   * (returns NaN), because a canonical file must say its zone. Date-only strings are always UTC.
   * @defaultValue false
   */
  assumeUtc?: boolean;
}

/**
 * Parses `YYYY-MM-DD` or `YYYY-MM-DD(T| )HH:MM[:SS[.fff]][Z|±HH[:MM]|±HHMM]` into epoch ms (UTC).
 * Returns NaN for anything else, including out-of-range fields (month 13, Feb 30, hour 24).
 */
export function parseUtcTimestamp(s: string, options: ParseTimestampOptions = {}): number {
  return parseUtcTimestampAt(s, 0, s.length, options.assumeUtc === true);
}

/**
 * {@link parseUtcTimestamp} on `s[from..to)` without slicing.
 * `s` must not contain the delimiter inside the range; characters outside it are ignored.
 */
export function parseUtcTimestampAt(s: string, from: number, to: number, assumeUtc: boolean): number {
  const n = to - from;
  if (n < 10 || s.charCodeAt(from + 4) !== 45 || s.charCodeAt(from + 7) !== 45) return NaN; // '-'
  const year = digits(s, from, 4);
  const month = digits(s, from + 5, 2);
  const day = digits(s, from + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  const dayMs = daysFromCivil(year, month, day) * DAY_MS;
  if (n === 10) return dayMs;

  const sep = s.charCodeAt(from + 10);
  if ((sep !== 84 && sep !== 32) || n < 16 || s.charCodeAt(from + 13) !== 58) return NaN; // 'T' or ' ', ':'
  const hour = digits(s, from + 11, 2);
  const minute = digits(s, from + 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  let i = from + 16;
  let second = 0;
  let millis = 0;
  if (i < to && s.charCodeAt(i) === 58) {
    second = i + 3 <= to ? digits(s, i + 1, 2) : -1;
    if (second < 0 || second > 59) return NaN;
    i += 3;
    if (i < to && s.charCodeAt(i) === 46) { // '.' fraction: keep milliseconds, ignore finer digits
      i++;
      const start = i;
      let scale = 100;
      while (i < to) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        millis += c * scale;
        scale /= 10;
        i++;
      }
      if (i === start) return NaN;
      millis = Math.floor(millis);
    }
  }
  const local = dayMs + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
  if (i === to) return assumeUtc ? local : NaN;

  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) return i + 1 === to ? local : NaN; // 'Z' | 'z'
  if (z !== 43 && z !== 45) return NaN; // '+' | '-'
  const sign = z === 43 ? 1 : -1;
  const rest = to - i - 1;
  const oh = rest >= 2 ? digits(s, i + 1, 2) : -1;
  let om = 0;
  if (rest === 2) om = 0;
  else if (rest === 4) om = digits(s, i + 3, 2);
  else if (rest === 5 && s.charCodeAt(i + 3) === 58) om = digits(s, i + 4, 2);
  else return NaN;
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
  return local - sign * (oh * 3_600_000 + om * 60_000);
}

const pad2 = (v: number): string => (v < 10 ? '0' : '') + v;

/**
 * Formats epoch ms as `YYYY-MM-DDTHH:MM:SSZ` (with `.mmm` only when the milliseconds are non-zero).
 * This is the canonical timestamp format of OHLCV files.
 */
export function formatUtcTimestamp(ms: number): string {
  const d = new Date(ms);
  const base =
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}` +
    `T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  const millis = d.getUTCMilliseconds();
  return millis === 0 ? `${base}Z` : `${base}.${String(millis).padStart(3, '0')}Z`;
}

/**
 * Turns a user-supplied range bound into epoch ms. A date-only `end` means the whole day, so it
 * resolves to the last millisecond of that day; a date-only `start` means 00:00 UTC. Full
 * timestamps without a zone are taken as UTC. Returns NaN when the string is not a date.
 */
export function parseDateBound(value: string, bound: 'start' | 'end'): number {
  const s = value.trim();
  const t = parseUtcTimestamp(s, { assumeUtc: true });
  if (Number.isNaN(t)) return NaN;
  return bound === 'end' && s.length === 10 ? t + DAY_MS - 1 : t;
}

const EPOCH = /^-?\d+(\.\d+)?$/;
const DATE_SLASHES = /^(\d{4})[./](\d{2})[./](\d{2})/;

/**
 * Parses a timestamp from a user's file to epoch ms (UTC), or NaN. Accepts ISO-8601 with or
 * without a zone (none = UTC), `YYYY-MM-DD HH:MM[:SS]`, `YYYY.MM.DD` / `YYYY/MM/DD` dates, a
 * trailing ` UTC` / ` GMT`, and epoch seconds or milliseconds.
 * Epoch numbers with magnitude >= 1e11 are milliseconds, smaller ones seconds (1e11 s is year
 * 5138, 1e11 ms is 1973, so the two ranges cannot be confused for real market data).
 */
export function parseFlexibleTimestamp(raw: string): number {
  let s = raw.trim();
  if (EPOCH.test(s)) {
    const v = Number(s);
    return Math.round(Math.abs(v) >= 1e11 ? v : v * 1000);
  }
  s = s.replace(DATE_SLASHES, '$1-$2-$3').replace(/\s+(UTC|GMT)$/i, 'Z');
  return parseUtcTimestamp(s, { assumeUtc: true });
}
