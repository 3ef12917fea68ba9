import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataError } from '../../../src/domain/data/data-error.js';
import { generateOhlcv, isFxMarketOpen } from '../../../src/domain/data/generator.js';
import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';
import { validateOhlcv } from '../../../src/domain/data/ohlcv-validation.js';
import { resampleOhlcv } from '../../../src/domain/data/resample.js';

const HOUR = 3_600_000;
const base = { symbol: 'EURUSD', startPrice: 1.14, annualVol: 0.07 } as const;

/** Independent statement of FX hours via Date: closed from Friday 22:00 to Sunday 22:00 UTC. */
function fxOpen(t: number): boolean {
  const d = new Date(t);
  const day = d.getUTCDay();
  const hour = d.getUTCHours();
  return !(day === 6 || (day === 5 && hour >= 22) || (day === 0 && hour < 22));
}

function logReturns(s: OhlcvSeries): number[] {
  const r: number[] = [];
  for (let i = 1; i < s.length; i++) r.push(Math.log((s.close[i] as number) / (s.close[i - 1] as number)));
  return r;
}

describe('generateOhlcv', () => {
  const quarter = generateOhlcv({ ...base, timeframe: '1h', start: '2021-01-01', end: '2021-03-31', seed: 7 });

  test('is deterministic: same seed, same bars; different seed, different bars', () => {
    const again = generateOhlcv({ ...base, timeframe: '1h', start: '2021-01-01', end: '2021-03-31', seed: 7 });
    for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) assert.deepEqual(again[k], quarter[k], k);
    const other = generateOhlcv({ ...base, timeframe: '1h', start: '2021-01-01', end: '2021-03-31', seed: 8 });
    assert.deepEqual(other.time, quarter.time);
    assert.notDeepEqual(other.close, quarter.close);
  });

  test('bars are consistent OHLC with 5-decimal prices and positive integer volume', () => {
    validateOhlcv(quarter);
    for (let i = 0; i < quarter.length; i++) {
      const o = quarter.open[i] as number, h = quarter.high[i] as number, l = quarter.low[i] as number, c = quarter.close[i] as number;
      assert.ok(h >= Math.max(o, c) && l <= Math.min(o, c) && l > 0, `bar ${i}`);
      for (const x of [o, h, l, c]) assert.equal(Math.round(x * 1e5) / 1e5, x);
      const v = quarter.volume[i] as number;
      assert.ok(Number.isInteger(v) && v >= 1, `volume ${v}`);
    }
    // Bars have a real range: a flat generator would pass the checks above.
    let ranged = 0;
    for (let i = 0; i < quarter.length; i++) if ((quarter.high[i] as number) > (quarter.low[i] as number)) ranged++;
    assert.ok(ranged > 0.95 * quarter.length);
  });

  test('1h bars cover exactly the FX trading hours: none from Friday 22:00 to Sunday 22:00 UTC', () => {
    const expected: number[] = [];
    for (let t = Date.UTC(2021, 0, 1); t <= Date.UTC(2021, 2, 31, 23); t += HOUR) if (fxOpen(t)) expected.push(t);
    assert.deepEqual([...quarter.time], expected);
    for (const t of [Date.UTC(2021, 0, 8, 22), Date.UTC(2021, 0, 9, 12), Date.UTC(2021, 0, 10, 21)]) assert.equal(isFxMarketOpen(t), false);
    for (const t of [Date.UTC(2021, 0, 8, 21), Date.UTC(2021, 0, 10, 22), Date.UTC(2021, 0, 11, 3)]) assert.equal(isFxMarketOpen(t), true);
  });

  test('open is the previous close give or take a tiny gap; weekend gaps are larger', () => {
    const inWeek: number[] = [];
    const weekend: number[] = [];
    for (let i = 1; i < quarter.length; i++) {
      const gap = Math.abs((quarter.open[i] as number) - (quarter.close[i - 1] as number));
      ((quarter.time[i] as number) - (quarter.time[i - 1] as number) > HOUR ? weekend : inWeek).push(gap);
    }
    assert.equal(weekend.length, 13); // Q1 2021 has 13 Fridays, from Jan 1 to Mar 26
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    assert.ok(Math.max(...inWeek) < 0.0005, `largest in-week gap ${Math.max(...inWeek)}`);
    assert.ok(mean(weekend) > 5 * mean(inWeek), `weekend ${mean(weekend)} vs in-week ${mean(inWeek)}`);
  });

  test('daily bars are Monday–Friday and 4h/1d equal the resampled 1h series', () => {
    const daily = generateOhlcv({ ...base, timeframe: '1d', start: '2021-01-01', end: '2021-03-31', seed: 7 });
    for (const t of daily.time) {
      const day = new Date(t).getUTCDay();
      assert.ok(day >= 1 && day <= 5, new Date(t).toISOString());
    }
    assert.equal(daily.length, 64); // weekdays in Q1 2021: 21 + 20 + 23
    const fourHour = generateOhlcv({ ...base, timeframe: '4h', start: '2021-01-01', end: '2021-03-31', seed: 7 });
    for (const [got, want] of [[daily, resampleOhlcv(quarter, '1d', { foldWeekendIntoMonday: true })], [fourHour, resampleOhlcv(quarter, '4h')]] as const) {
      assert.equal(got.timeframe, want.timeframe);
      for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) assert.deepEqual(got[k], want[k], `${got.timeframe} ${k}`);
    }
  });

  test('intraday timeframes below 1h are simulated directly on the same session grid', () => {
    const m15 = generateOhlcv({ ...base, timeframe: '15m', start: '2021-01-08T20:00:00Z', end: '2021-01-10T23:00:00Z', seed: 3 });
    const expected: number[] = [];
    for (let t = Date.UTC(2021, 0, 8, 20); t <= Date.UTC(2021, 0, 10, 23); t += HOUR / 4) if (fxOpen(t)) expected.push(t);
    assert.deepEqual([...m15.time], expected);
    validateOhlcv(m15);
  });

  test('statistics look like FX: target volatility, volatility clustering, busy London/NY hours', () => {
    const s = generateOhlcv({ ...base, timeframe: '1h', start: '2019-01-01', end: '2022-12-31', seed: 11 });
    const daily = resampleOhlcv(s, '1d', { foldWeekendIntoMonday: true });
    const r = logReturns(daily);
    const sd = Math.sqrt(r.reduce((a, x) => a + x * x, 0) / r.length);
    const annual = sd * Math.sqrt(260);
    assert.ok(annual > 0.055 && annual < 0.09, `annualised vol ${annual}`);
    // Clustering: |r| is autocorrelated even though r itself is nearly not.
    const abs = r.map(Math.abs);
    const autocorr = (x: number[], lag: number): number => {
      const m = x.reduce((a, y) => a + y, 0) / x.length;
      let num = 0;
      let den = 0;
      for (let i = 0; i < x.length; i++) {
        den += ((x[i] as number) - m) ** 2;
        if (i >= lag) num += ((x[i] as number) - m) * ((x[i - lag] as number) - m);
      }
      return num / den;
    };
    assert.ok(autocorr(abs, 1) > 0.08, `abs-return autocorrelation ${autocorr(abs, 1)}`);
    assert.ok(Math.abs(autocorr(r, 1)) < 0.1, `return autocorrelation ${autocorr(r, 1)}`);
    // Seasonality: 13-15 UTC moves more than 21-23 UTC, and trades more.
    const byHour = (hours: number[]): [number, number] => {
      let move = 0;
      let vol = 0;
      let n = 0;
      for (let i = 0; i < s.length; i++) {
        if (!hours.includes(new Date(s.time[i] as number).getUTCHours())) continue;
        move += Math.abs(Math.log((s.close[i] as number) / (s.open[i] as number)));
        vol += s.volume[i] as number;
        n++;
      }
      return [move / n, vol / n];
    };
    const [busyMove, busyVol] = byHour([13, 14, 15]);
    const [quietMove, quietVol] = byHour([21, 22, 23]);
    assert.ok(busyMove > 1.8 * quietMove, `${busyMove} vs ${quietMove}`);
    assert.ok(busyVol > 1.8 * quietVol, `${busyVol} vs ${quietVol}`);
    // Prices stay in a plausible band around the start price.
    let lo = Infinity;
    let hi = 0;
    for (const c of s.close) {
      lo = Math.min(lo, c);
      hi = Math.max(hi, c);
    }
    assert.ok(lo > 0.75 && hi < 1.6, `range ${lo}..${hi}`);
  });

  test('invalid options are DATA_INVALID; an all-weekend range is DATA_EMPTY', () => {
    const bad = (o: Partial<Parameters<typeof generateOhlcv>[0]>, re: RegExp): void =>
      assert.throws(() => generateOhlcv({ ...base, timeframe: '1h', start: '2021-01-01', end: '2021-01-31', seed: 1, ...o }), (e: unknown) => e instanceof DataError && e.code === 'DATA_INVALID' && re.test(e.message));
    bad({ timeframe: '7m' }, /must divide one hour/);
    bad({ timeframe: '90m' }, /whole number of hours/);
    bad({ timeframe: 'x' }, /invalid timeframe/);
    bad({ startPrice: 0 }, /startPrice/);
    bad({ annualVol: -1 }, /annualVol/);
    bad({ start: 'soon' }, /invalid start/);
    bad({ start: '2021-02-01', end: '2021-01-01' }, /is after end/);
    assert.throws(
      () => generateOhlcv({ ...base, timeframe: '1h', start: '2021-01-09', end: '2021-01-10T21:00:00Z', seed: 1 }),
      (e: unknown) => e instanceof DataError && e.code === 'DATA_EMPTY',
    );
  });
});
