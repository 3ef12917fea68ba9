import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EMA, MACD, SMA } from 'technicalindicators';
import { SMA as TsSMA } from 'trading-signals';
import { computeIndicator, indicatorWarmup } from '../../../src/domain/indicators/registry.js';
import { assertMatchesOracle, firstNonNull, toArray } from './oracle-compare.js';
import { syntheticOhlcv } from './synthetic-ohlcv.js';

// Oracles: technicalindicators (SMA; EMA seeded with the SMA of the first `period` values, like
// TA-Lib; MACD with SimpleMAOscillator/SimpleMASignal false = EMA lines) and trading-signals (SMA).
const datasets = [
  { name: 'continuous', series: syntheticOhlcv(3000, 1) },
  { name: 'tick-rounded', series: syntheticOhlcv(3000, 2, { tick: 0.05 }) },
];

for (const { name, series } of datasets) {
  const close = toArray(series.close);

  describe(`sma vs oracles (${name})`, () => {
    for (const period of [1, 2, 20, 200]) {
      test(`period ${period}`, () => {
        const { value } = computeIndicator({ type: 'sma', period }, series);
        const ti = SMA.calculate({ period, values: close });
        assertMatchesOracle(`sma ${period} vs technicalindicators`, value!, ti, period - 1);
        const ts = new TsSMA(period).updates(close);
        const first = firstNonNull(ts);
        assertMatchesOracle(`sma ${period} vs trading-signals`, value!, ts.slice(first), first);
        assert.equal(indicatorWarmup({ type: 'sma', period }), first);
      });
    }
  });

  describe(`ema vs technicalindicators (${name})`, () => {
    for (const period of [1, 2, 20, 100]) {
      test(`period ${period}`, () => {
        const { value } = computeIndicator({ type: 'ema', period }, series);
        const ti = EMA.calculate({ period, values: close });
        assertMatchesOracle(`ema ${period}`, value!, ti, series.length - ti.length);
        assert.equal(indicatorWarmup({ type: 'ema', period }), series.length - ti.length);
      });
    }
  });

  describe(`macd vs technicalindicators (${name})`, () => {
    for (const [fast, slow, signal] of [[12, 26, 9], [3, 10, 4], [5, 6, 1]] as const) {
      test(`${fast}/${slow}/${signal}`, () => {
        const spec = { type: 'macd', fast_period: fast, slow_period: slow, signal_period: signal };
        const out = computeIndicator(spec, series);
        const ti = MACD.calculate({
          values: close,
          fastPeriod: fast,
          slowPeriod: slow,
          signalPeriod: signal,
          SimpleMAOscillator: false,
          SimpleMASignal: false,
        });
        // technicalindicators starts its rows when the MACD line exists; signal/histogram are
        // undefined in the first signal-1 rows.
        const macdStart = series.length - ti.length;
        assert.equal(macdStart, slow - 1);
        assertMatchesOracle('macd', out.macd!, ti.map((r) => r.MACD), macdStart);
        const signalRow = ti.findIndex((r) => r.signal !== undefined);
        assert.equal(signalRow, signal - 1);
        const tail = ti.slice(signalRow);
        assertMatchesOracle('signal', out.signal!, tail.map((r) => r.signal), macdStart + signalRow);
        assertMatchesOracle('histogram', out.histogram!, tail.map((r) => r.histogram), macdStart + signalRow);
        assert.equal(indicatorWarmup(spec), macdStart + signalRow);
      });
    }
  });
}

test('sma and ema on derived sources match the oracle fed with the same derived prices', () => {
  const s = syntheticOhlcv(1500, 3);
  const derived: Record<string, (i: number) => number> = {
    open: (i) => s.open[i]!,
    high: (i) => s.high[i]!,
    low: (i) => s.low[i]!,
    volume: (i) => s.volume[i]!,
    hl2: (i) => (s.high[i]! + s.low[i]!) / 2,
    hlc3: (i) => (s.high[i]! + s.low[i]! + s.close[i]!) / 3,
    ohlc4: (i) => (s.open[i]! + s.high[i]! + s.low[i]! + s.close[i]!) / 4,
  };
  for (const [source, at] of Object.entries(derived)) {
    const values = Array.from({ length: s.length }, (_, i) => at(i));
    const sma = computeIndicator({ type: 'sma', period: 10, source }, s).value!;
    assertMatchesOracle(`sma ${source}`, sma, SMA.calculate({ period: 10, values }), 9);
    const ema = computeIndicator({ type: 'ema', period: 10, source }, s).value!;
    assertMatchesOracle(`ema ${source}`, ema, EMA.calculate({ period: 10, values }), 9);
  }
});
