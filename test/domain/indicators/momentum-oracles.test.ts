import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OBV, ROC, RSI, SMA, Stochastic } from 'technicalindicators';
import { OBV as TsOBV, ROC as TsROC, RSI as TsRSI, StochasticOscillator } from 'trading-signals';
import { computeIndicator, indicatorWarmup } from '../../../src/domain/indicators/registry.js';
import { assertMatchesOracle, firstNonNull, toArray } from './oracle-compare.js';
import { syntheticOhlcv } from './synthetic-ohlcv.js';

// Oracles: trading-signals RSI (Wilder smoothing seeded with the mean of the first `period`
// changes, unrounded; technicalindicators rounds RSI to 2 decimals, so it is only a coarse
// cross-check), trading-signals StochasticOscillator (full stochastic with %K slowing),
// technicalindicators Stochastic (fast stochastic) + SMA, ROC and OBV from both libraries.
const datasets = [
  { name: 'continuous', series: syntheticOhlcv(3000, 11) },
  { name: 'tick-rounded', series: syntheticOhlcv(3000, 12, { tick: 0.05 }) },
];

for (const { name, series } of datasets) {
  const close = toArray(series.close);
  const hlc = { high: toArray(series.high), low: toArray(series.low), close };
  const candles = close.map((c, i) => ({ open: series.open[i]!, high: hlc.high[i]!, low: hlc.low[i]!, close: c, volume: series.volume[i]! }));

  describe(`rsi vs oracles (${name})`, () => {
    for (const period of [2, 14, 30]) {
      test(`period ${period}`, () => {
        const { value } = computeIndicator({ type: 'rsi', period }, series);
        const ts = new TsRSI(period).updates(close);
        const first = firstNonNull(ts);
        assert.equal(first, period);
        assertMatchesOracle(`rsi ${period} vs trading-signals`, value!, ts.slice(first), first);
        assert.equal(indicatorWarmup({ type: 'rsi', period }), first);
        const ti = RSI.calculate({ period, values: close });
        assert.equal(series.length - ti.length, period);
        ti.forEach((r, j) => assert.ok(Math.abs(r - value![period + j]!) <= 0.005 + 1e-9, `technicalindicators rsi (2 decimals) at ${period + j}`));
      });
    }
  });

  describe(`stochastic vs oracles (${name})`, () => {
    for (const [kPeriod, dPeriod, smoothK] of [[14, 3, 3], [5, 3, 1], [9, 4, 2], [1, 1, 1]] as const) {
      test(`k ${kPeriod}, d ${dPeriod}, smooth ${smoothK}`, () => {
        const spec = { type: 'stochastic', k_period: kPeriod, d_period: dPeriod, smooth_k: smoothK };
        const out = computeIndicator(spec, series);
        const ts = new StochasticOscillator({ kPeriod, kSlowingPeriod: smoothK, dPeriod }).updates(candles);
        const first = firstNonNull(ts);
        assert.equal(indicatorWarmup(spec), first);
        const tail = ts.slice(first);
        assertMatchesOracle('d vs trading-signals', out.d!, tail.map((r) => r?.stochD), first);
        assertMatchesOracle('k vs trading-signals', out.k!.subarray(first), tail.map((r) => r?.stochK), 0);
        // %K from its own first bar: technicalindicators' fast %K smoothed by its SMA.
        const fast = Stochastic.calculate({ ...hlc, period: kPeriod, signalPeriod: dPeriod });
        assert.equal(series.length - fast.length, kPeriod - 1);
        const slowK = SMA.calculate({ period: smoothK, values: fast.map((r) => r.k) });
        assertMatchesOracle('k vs technicalindicators', out.k!, slowK, kPeriod + smoothK - 2);
        if (smoothK === 1) {
          const d = fast.slice(dPeriod - 1).map((r) => r.d);
          assertMatchesOracle('fast d vs technicalindicators', out.d!, d, kPeriod + dPeriod - 2);
        }
      });
    }
  });

  describe(`roc vs oracles (${name})`, () => {
    for (const period of [1, 10, 50]) {
      test(`period ${period}`, () => {
        const { value } = computeIndicator({ type: 'roc', period }, series);
        const ti = ROC.calculate({ period, values: close });
        assertMatchesOracle(`roc ${period} vs technicalindicators`, value!, ti, period);
        const ts = new TsROC(period).updates(close);
        const first = firstNonNull(ts);
        assertMatchesOracle(`roc ${period} vs trading-signals (fraction x 100)`, value!, ts.slice(first).map((r) => 100 * r!), first);
        assert.equal(indicatorWarmup({ type: 'roc', period }), period);
      });
    }
  });

  test(`obv vs oracles (${name})`, () => {
    const { value } = computeIndicator({ type: 'obv' }, series);
    assert.equal(value![0], 0);
    const ti = OBV.calculate({ close, volume: toArray(series.volume) });
    assert.equal(ti.length, series.length - 1);
    assertMatchesOracle('obv vs technicalindicators', value!.subarray(1), ti, 0);
    const ts = new TsOBV(2).updates(candles);
    assertMatchesOracle('obv vs trading-signals', value!.subarray(1), ts.slice(1), 0);
    assert.equal(indicatorWarmup({ type: 'obv' }), 0);
  });
}

test('the tick-rounded data has the ties the tie rules are about', () => {
  const { close } = datasets[1]!.series;
  let flat = 0;
  for (let i = 1; i < close.length; i++) if (close[i] === close[i - 1]) flat++;
  assert.ok(flat >= 10, `only ${flat} unchanged closes`);
});
