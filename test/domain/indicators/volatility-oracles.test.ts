import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ADX, ATR, BollingerBands, TrueRange, WEMA } from 'technicalindicators';
import { BollingerBands as TsBollingerBands, BollingerBandsWidth } from 'trading-signals';
import { computeIndicator, indicatorWarmup } from '../../../src/domain/indicators/registry.js';
import { assertMatchesOracle, firstNonNull, toArray } from './oracle-compare.js';
import { syntheticOhlcv } from './synthetic-ohlcv.js';

// Oracles: technicalindicators BollingerBands (population sd, two-pass per window), ATR (Wilder,
// TR from bar 1, seeded with the mean of the first `period` TRs) and ADX (Wilder's sums of the
// first `period` TR/DM values); trading-signals BollingerBandsWidth ((upper - lower) / middle).
const datasets = [
  { name: 'continuous', series: syntheticOhlcv(3000, 21) },
  { name: 'tick-rounded', series: syntheticOhlcv(3000, 22, { tick: 0.05 }) },
  // FX-like: sd ~1e-4 of a price ~1.1, where sum-of-squares variance would lose ~8 digits.
  { name: 'fx-like', series: syntheticOhlcv(3000, 23, { startPrice: 1.1, volatility: 0.0003 }) },
];

for (const { name, series } of datasets) {
  const close = toArray(series.close);
  const hlc = { high: toArray(series.high), low: toArray(series.low), close };

  describe(`bollinger_bands vs oracles (${name})`, () => {
    for (const [period, multiplier] of [[20, 2], [5, 1.5], [50, 3], [2, 2]] as const) {
      test(`period ${period}, multiplier ${multiplier}`, () => {
        const spec = { type: 'bollinger_bands', period, multiplier };
        const out = computeIndicator(spec, series);
        const ti = BollingerBands.calculate({ period, stdDev: multiplier, values: close });
        const first = series.length - ti.length;
        assert.equal(first, period - 1);
        assert.equal(indicatorWarmup(spec), first);
        assertMatchesOracle('upper', out.upper!, ti.map((r) => r.upper), first);
        assertMatchesOracle('middle', out.middle!, ti.map((r) => r.middle), first);
        assertMatchesOracle('lower', out.lower!, ti.map((r) => r.lower), first);
        const ts = new BollingerBandsWidth(new TsBollingerBands(period, multiplier)).updates(close);
        const wFirst = firstNonNull(ts);
        assertMatchesOracle('width vs trading-signals', out.width!, ts.slice(wFirst), wFirst);
      });
    }
  });

  describe(`atr vs technicalindicators (${name})`, () => {
    for (const period of [1, 14, 50]) {
      test(`period ${period}`, () => {
        const { value } = computeIndicator({ type: 'atr', period }, series);
        const ti = ATR.calculate({ ...hlc, period });
        assert.equal(series.length - ti.length, period);
        assertMatchesOracle(`atr ${period}`, value!, ti, period);
        assert.equal(indicatorWarmup({ type: 'atr', period }), period);
      });
    }
  });

  describe(`adx vs technicalindicators (${name})`, () => {
    for (const period of [14, 5, 30]) {
      test(`period ${period}`, () => {
        const out = computeIndicator({ type: 'adx', period }, series);
        const ti = ADX.calculate({ ...hlc, period });
        const first = series.length - ti.length;
        assert.equal(first, 2 * period - 1);
        assert.equal(indicatorWarmup({ type: 'adx', period }), first);
        assertMatchesOracle('adx', out.adx!, ti.map((r) => r.adx), first);
        // The ADX oracle only reports rows once ADX exists; +DI/-DI exist `period - 1` bars earlier.
        // Check them from bar `period` as 100 * Wilder average of DM / Wilder average of TR, with
        // technicalindicators' WEMA and TrueRange on DM written out from Wilder's definition.
        const plusDm: number[] = [];
        const minusDm: number[] = [];
        for (let i = 1; i < series.length; i++) {
          const up = hlc.high[i]! - hlc.high[i - 1]!;
          const down = hlc.low[i - 1]! - hlc.low[i]!;
          plusDm.push(up > down && up > 0 ? up : 0);
          minusDm.push(down > up && down > 0 ? down : 0);
        }
        const tr = TrueRange.calculate(hlc);
        assert.equal(tr.length, series.length - 1);
        const atr = WEMA.calculate({ period, values: tr });
        const plusDi = WEMA.calculate({ period, values: plusDm }).map((v, j) => (100 * v) / atr[j]!);
        const minusDi = WEMA.calculate({ period, values: minusDm }).map((v, j) => (100 * v) / atr[j]!);
        assertMatchesOracle('plus_di', out.plus_di!, plusDi, period);
        assertMatchesOracle('minus_di', out.minus_di!, minusDi, period);
        assertMatchesOracle('plus_di vs adx oracle', out.plus_di!.subarray(first), ti.map((r) => r.pdi), 0);
        assertMatchesOracle('minus_di vs adx oracle', out.minus_di!.subarray(first), ti.map((r) => r.mdi), 0);
      });
    }
  });
}
