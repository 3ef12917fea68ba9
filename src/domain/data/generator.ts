import { DataError } from './data-error.js';
import { assertSymbol, assertTimeframe } from './data-files.js';
import type { OhlcvSeries } from './ohlcv.js';
import { createPrng } from './prng.js';
import { resampleOhlcv } from './resample.js';
import { timeframeToMs } from './timeframe.js';
import { parseDateBound } from './utc-time.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** FX trades 24h x 5 days x 52 weeks: the "year" that volatility and drift are annualised over. */
const TRADING_HOURS_PER_YEAR = 6240;
const TRADING_DAYS_PER_YEAR = 260;

/** What to generate with {@link generateOhlcv}. */
export interface GenerateOhlcvOptions {
  readonly symbol: string;
  /** `1m`..`1h` (must divide an hour) are simulated directly; longer ones (`4h`, `1d`, `1w`, `1M`) are resampled from 1h. */
  readonly timeframe: string;
  /** First bar open time: `YYYY-MM-DD`, ISO timestamp (no zone = UTC) or epoch ms. */
  readonly start: string | number;
  /** Last bar open time, inclusive: a date-only value includes the whole day. */
  readonly end: string | number;
  /** Seed of the PRNG: the same seed and options give the same series, bit for bit. */
  readonly seed: number;
  /** Price at `start`. @defaultValue 1 */
  readonly startPrice?: number;
  /** Target annualised volatility of log returns (0.07 = 7%). @defaultValue 0.08 */
  readonly annualVol?: number;
  /** Prices are rounded to this many decimals (5 for most FX pairs, 3 for JPY pairs). @defaultValue 5 */
  readonly priceDecimals?: number;
  /** Average volume (ticks) per hour of trading; the actual volume follows activity. @defaultValue 1500 */
  readonly baseVolume?: number;
}

/**
 * Relative volatility per UTC hour for a major FX pair: quiet late-US/early-Asia, a bump at the
 * Tokyo open, peaks at the London open and the London/New York overlap.
 */
const HOURLY_ACTIVITY = [
  0.75, 0.8, 0.75, 0.65, 0.55, 0.55, 0.75, 1.15, 1.3, 1.15, 1.05, 1.0,
  1.15, 1.4, 1.5, 1.35, 1.1, 0.85, 0.7, 0.65, 0.6, 0.5, 0.45, 0.55,
];

/**
 * Volatility regimes (calm, normal, turbulent) as a daily Markov chain. Mean stays are about 33,
 * 29 and 10 trading days.
 */
const VOL_LEVELS = [0.6, 1.0, 1.9];
const VOL_TRANSITIONS = [
  [0.97, 0.025, 0.005],
  [0.02, 0.965, 0.015],
  [0.01, 0.09, 0.9],
];

/** Probability that a bar contains a jump (x3 in the turbulent regime). */
const JUMP_P = 0.002;
/** Sd of the gap between Friday's close and Sunday's open, in daily sigmas. */
const WEEKEND_GAP_SD = 0.3;

/** FX is closed from Friday 22:00 UTC to Sunday 22:00 UTC. */
export function isFxMarketOpen(timeMs: number): boolean {
  const day = Math.floor(timeMs / DAY_MS);
  const dow = (day + 4) % 7; // 0 = Sunday; 1970-01-01 was a Thursday
  const hour = Math.floor((timeMs - day * DAY_MS) / HOUR_MS);
  if (dow === 6) return false;
  if (dow === 5) return hour < 22;
  if (dow === 0) return hour >= 22;
  return true;
}

function toMs(value: string | number, bound: 'start' | 'end'): number {
  const t = typeof value === 'number' ? value : parseDateBound(value, bound);
  if (!Number.isFinite(t)) {
    throw new DataError('DATA_INVALID', `invalid ${bound} '${value}': expected YYYY-MM-DD, an ISO timestamp or epoch ms`, { field: bound });
  }
  return t;
}

function stationary(p: number[][]): number[] {
  let pi = p.map(() => 1 / p.length);
  for (let k = 0; k < 500; k++) pi = pi.map((_, j) => pi.reduce((acc, x, i) => acc + x * (p[i]?.[j] ?? 0), 0));
  return pi;
}

/**
 * Generates realistic, seeded, FX-like OHLCV bars:
 * - log returns whose volatility switches between calm / normal / turbulent regimes (daily
 *   Markov chain), with a slower stochastic-volatility wiggle and rare jumps, scaled so the
 *   long-run volatility is about `annualVol`;
 * - persistent drift regimes (up / down / flat, lasting days to weeks, drift ±1-2.5 x annualVol
 *   a year) plus a weak pull back toward `startPrice`: enough autocorrelation for trend
 *   following to have a small edge, far from a free lunch;
 * - intraday volatility and volume seasonality (Asia quiet, London and the NY overlap busy);
 * - FX sessions: no bar opens between Friday 22:00 and Sunday 22:00 UTC; daily bars are
 *   Monday–Friday (Sunday evening belongs to Monday); the Sunday open gaps from Friday's close;
 * - consistent bars: high/low come from a finer simulated path, so
 *   `low <= min(open, close) <= max(open, close) <= high`, and each open is the previous close
 *   give or take a tiny gap.
 *
 * Timeframes above 1h are built by resampling the 1h series, so `4h` and `1d` generated with the
 * same options equal `resampleOhlcv` of the `1h` series (days with `foldWeekendIntoMonday`).
 *
 * @throws DataError `DATA_INVALID` for bad options, `DATA_EMPTY` when no trading bar falls in the range.
 */
export function generateOhlcv(options: GenerateOhlcvOptions): OhlcvSeries {
  const { symbol, timeframe, seed } = options;
  assertSymbol(symbol);
  assertTimeframe(timeframe);
  const startPrice = options.startPrice ?? 1;
  const annualVol = options.annualVol ?? 0.08;
  const decimals = options.priceDecimals ?? 5;
  const baseVolume = options.baseVolume ?? 1500;
  const invalid = (what: string): never => {
    throw new DataError('DATA_INVALID', `generateOhlcv: ${what}`, { symbol, timeframe });
  };
  if (!Number.isFinite(seed)) invalid(`seed must be a finite number, got ${seed}`);
  if (!(startPrice > 0) || !Number.isFinite(startPrice)) invalid(`startPrice must be positive, got ${startPrice}`);
  if (!(annualVol > 0 && annualVol <= 5)) invalid(`annualVol must be in (0, 5], got ${annualVol}`);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 10) invalid(`priceDecimals must be an integer 0-10, got ${decimals}`);
  if (!(baseVolume > 0) || !Number.isFinite(baseVolume)) invalid(`baseVolume must be positive, got ${baseVolume}`);
  const startMs = toMs(options.start, 'start');
  const endMs = toMs(options.end, 'end');
  if (startMs > endMs) invalid(`start ${String(options.start)} is after end ${String(options.end)}`);

  const tfMs = timeframeToMs(timeframe);
  let baseMs: number;
  if (tfMs <= HOUR_MS) {
    if (HOUR_MS % tfMs !== 0) invalid(`intraday timeframe ${timeframe} must divide one hour (1m, 5m, 15m, 30m, 1h ...)`);
    baseMs = tfMs;
  } else {
    if (!timeframe.endsWith('M') && tfMs % HOUR_MS !== 0) invalid(`timeframe ${timeframe} must be a whole number of hours`);
    baseMs = HOUR_MS;
  }
  const base = simulate({ symbol, timeframe: baseMs === tfMs ? timeframe : '1h', baseMs, startMs, endMs, seed, startPrice, annualVol, decimals, baseVolume });
  if (base.length === 0) {
    throw new DataError('DATA_EMPTY', `generateOhlcv: no FX trading hours between ${String(options.start)} and ${String(options.end)}`, { symbol, timeframe });
  }
  return baseMs === tfMs ? base : resampleOhlcv(base, timeframe, { foldWeekendIntoMonday: true });
}

interface SimulationParams {
  symbol: string;
  timeframe: string;
  baseMs: number;
  startMs: number;
  endMs: number;
  seed: number;
  startPrice: number;
  annualVol: number;
  decimals: number;
  baseVolume: number;
}

function simulate(p: SimulationParams): OhlcvSeries {
  const rng = createPrng(p.seed);
  const stepHours = p.baseMs / HOUR_MS;
  const minutes = p.baseMs / 60_000;
  // Points on the intra-bar path: high/low are its extremes, so more points = less biased ranges.
  const subSteps = Math.min(30, Math.max(6, Math.round(6 * Math.sqrt(minutes))));

  // Normalise every volatility multiplier to unit mean variance so annualVol is the long-run level.
  const pi = stationary(VOL_TRANSITIONS);
  const volNorm = 1 / Math.sqrt(pi.reduce((acc, w, i) => acc + w * (VOL_LEVELS[i] as number) ** 2, 0));
  const actNorm = 1 / Math.sqrt(HOURLY_ACTIVITY.reduce((acc, a) => acc + a * a, 0) / 24);
  const svSd = 0.3; // stationary sd of the log stochastic-vol factor
  const svPhi = 0.5 ** (stepHours / 24); // half-life of one day
  const svShock = svSd * Math.sqrt(1 - svPhi * svPhi);

  // Jumps (4 sigma, probability JUMP_P per bar, x3 when turbulent) and weekend gaps (0.3 daily sigma)
  // add variance on top of the diffusion; shrink the diffusion so the total matches annualVol.
  const jumpP = JUMP_P * ((pi[0] as number) + (pi[1] as number) + 3 * (pi[2] as number));
  const extraVariance = 16 * jumpP + WEEKEND_GAP_SD ** 2 / 5;
  const volScale = 1 / Math.sqrt(1 + extraVariance);
  const sigmaHour = (volScale * p.annualVol) / Math.sqrt(TRADING_HOURS_PER_YEAR);
  const sigmaDay = (volScale * p.annualVol) / Math.sqrt(TRADING_DAYS_PER_YEAR);
  const dtYears = stepHours / TRADING_HOURS_PER_YEAR;
  const meanReversion = Math.LN2 / 3; // per year: deviations from the anchor halve in ~3 years
  const anchor = Math.log(p.startPrice);
  const scale = 10 ** p.decimals;
  const round = (x: number): number => Math.round(x * scale) / scale;

  // Draw the initial regimes from their long-run distribution.
  const u0 = rng.next();
  let volRegime = u0 < (pi[0] as number) ? 0 : u0 < (pi[0] as number) + (pi[1] as number) ? 1 : 2;
  let drift = 0;
  const newTrend = (): void => {
    // 40% flat; otherwise a trend of random sign and size 1-2.5 x annualVol per year.
    drift = rng.next() < 0.4 ? 0 : (rng.next() < 0.5 ? -1 : 1) * (1 + 1.5 * rng.next()) * p.annualVol;
  };
  newTrend();
  let sv = svSd * rng.normal();

  const first = Math.ceil(p.startMs / p.baseMs) * p.baseMs;
  const capacity = Math.max(0, Math.floor((p.endMs - first) / p.baseMs) + 1);
  const time = new Float64Array(capacity);
  const open = new Float64Array(capacity);
  const high = new Float64Array(capacity);
  const low = new Float64Array(capacity);
  const close = new Float64Array(capacity);
  const volume = new Float64Array(capacity);

  let n = 0;
  let logP = Math.log(p.startPrice);
  let prevTime = NaN;
  let day = NaN;
  for (let t = first; t <= p.endMs; t += p.baseMs) {
    if (!isFxMarketOpen(t)) continue;
    const today = Math.floor(t / DAY_MS);
    if (today !== day) {
      if (!Number.isNaN(day)) {
        // Regimes move once per trading day.
        const u = rng.next();
        const row = VOL_TRANSITIONS[volRegime] as number[];
        volRegime = u < (row[0] as number) ? 0 : u < (row[0] as number) + (row[1] as number) ? 1 : 2;
        const meanDays = drift === 0 ? 15 : 30;
        if (rng.next() < 1 / meanDays) newTrend();
      }
      day = today;
    }
    sv = svPhi * sv + svShock * rng.normal();
    const hour = Math.floor((t - today * DAY_MS) / HOUR_MS);
    const regimeMult = (VOL_LEVELS[volRegime] as number) * volNorm * Math.exp(sv - svSd * svSd);
    const activity = (HOURLY_ACTIVITY[hour] as number) * actNorm;
    const sigmaBar = sigmaHour * Math.sqrt(stepHours) * activity * regimeMult;

    // Open: the previous close plus a tiny gap, or a real one after a weekend or other pause.
    const afterPause = !Number.isNaN(prevTime) && t - prevTime > p.baseMs;
    const gapSd = afterPause ? WEEKEND_GAP_SD * sigmaDay * regimeMult : 0.02 * sigmaBar;
    if (!Number.isNaN(prevTime)) logP += gapSd * rng.normal();
    const o = Math.exp(logP);
    let hi = o;
    let lo = o;

    const mu = (drift - meanReversion * (logP - anchor)) * dtYears / subSteps;
    const sigmaSub = sigmaBar / Math.sqrt(subSteps);
    const jumpAt = rng.next() < JUMP_P * (volRegime === 2 ? 3 : 1) ? Math.floor(rng.next() * subSteps) : -1;
    const startLog = logP;
    for (let k = 0; k < subSteps; k++) {
      logP += mu - 0.5 * sigmaSub * sigmaSub + sigmaSub * rng.normal();
      if (k === jumpAt) logP += 4 * sigmaBar * rng.normal();
      const x = Math.exp(logP);
      if (x > hi) hi = x;
      if (x < lo) lo = x;
    }
    const c = Math.exp(logP);

    const ro = round(o);
    const rc = round(c);
    time[n] = t;
    open[n] = ro;
    close[n] = rc;
    high[n] = Math.max(round(hi), ro, rc);
    low[n] = Math.min(round(lo), ro, rc);
    // Volume follows session activity, the volatility regime and the bar's own move.
    const move = Math.abs(logP - startLog) / sigmaBar;
    const v = p.baseVolume * stepHours * activity ** 1.3 * (0.5 + 0.5 * regimeMult) * (0.7 + 0.3 * move) * Math.exp(0.3 * rng.normal() - 0.045);
    volume[n] = Math.max(1, Math.round(v));
    n++;
    prevTime = t;
  }
  return {
    symbol: p.symbol,
    timeframe: p.timeframe,
    length: n,
    time: time.slice(0, n),
    open: open.slice(0, n),
    high: high.slice(0, n),
    low: low.slice(0, n),
    close: close.slice(0, n),
    volume: volume.slice(0, n),
  };
}
