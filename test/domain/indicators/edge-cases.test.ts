import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';
import type { IndicatorSpec } from '../../../src/domain/indicators/indicator-spec.js';
import { INDICATOR_TYPES, computeIndicator, indicatorWarmup } from '../../../src/domain/indicators/registry.js';
import { constantOhlcv, syntheticOhlcv } from './synthetic-ohlcv.js';

const VARIED_SPECS: IndicatorSpec[] = [
  ...INDICATOR_TYPES.map((type) => ({ type })),
  { type: 'sma', period: 1 },
  { type: 'ema', period: 1 },
  { type: 'rsi', period: 1 },
  { type: 'rsi', period: 7, source: 'hl2' },
  { type: 'macd', fast_period: 1, slow_period: 2, signal_period: 1 },
  { type: 'macd', fast_period: 5, slow_period: 35, signal_period: 5 },
  { type: 'bollinger_bands', period: 1 },
  { type: 'atr', period: 1 },
  { type: 'adx', period: 1 },
  { type: 'adx', period: 7 },
  { type: 'stochastic', k_period: 1, d_period: 1, smooth_k: 1 },
  { type: 'stochastic', k_period: 5, d_period: 4, smooth_k: 1 },
  { type: 'roc', period: 1 },
];

function firstAllFinite(outputs: Record<string, Float64Array>, length: number): number {
  for (let i = 0; i < length; i++) if (Object.values(outputs).every((v) => Number.isFinite(v[i]))) return i;
  return -1;
}

describe('warm-up', () => {
  test('indicatorWarmup is the first bar with every output finite, and nothing is NaN after it', () => {
    const series = syntheticOhlcv(400, 31);
    for (const spec of VARIED_SPECS) {
      const outputs = computeIndicator(spec, series);
      const warmup = indicatorWarmup(spec);
      assert.equal(firstAllFinite(outputs, series.length), warmup, JSON.stringify(spec));
      for (const [name, values] of Object.entries(outputs)) {
        const first = values.findIndex((v) => Number.isFinite(v));
        assert.ok(first <= warmup, `${JSON.stringify(spec)} ${name}`);
        for (let i = first; i < values.length; i++) assert.ok(Number.isFinite(values[i]), `${JSON.stringify(spec)} ${name}[${i}] is ${values[i]}`);
        for (let i = 0; i < first; i++) assert.ok(Number.isNaN(values[i]), `${JSON.stringify(spec)} ${name}[${i}] before warm-up`);
      }
    }
  });

  test('a series no longer than the warm-up has no fully defined bar; one bar more has one', () => {
    for (const spec of VARIED_SPECS) {
      const warmup = indicatorWarmup(spec);
      if (warmup === 0) continue;
      const short = computeIndicator(spec, syntheticOhlcv(warmup, 32));
      for (const values of Object.values(short)) assert.equal(values.length, warmup);
      // Multi-output indicators may have some outputs earlier (the MACD line before its signal).
      assert.equal(firstAllFinite(short, warmup), -1, JSON.stringify(spec));
      if (Object.keys(short).length === 1) assert.ok(short.value!.every((v) => Number.isNaN(v)), JSON.stringify(spec));
      const enough = computeIndicator(spec, syntheticOhlcv(warmup + 1, 32));
      assert.equal(firstAllFinite(enough, warmup + 1), warmup, JSON.stringify(spec));
    }
  });

  test('periods far longer than the series, and empty series, do not throw', () => {
    const tiny = syntheticOhlcv(5, 33);
    const long: IndicatorSpec[] = [
      { type: 'sma', period: 1000 },
      { type: 'ema', period: 1000 },
      { type: 'rsi', period: 1000 },
      { type: 'macd', fast_period: 500, slow_period: 1000, signal_period: 300 },
      { type: 'bollinger_bands', period: 1000 },
      { type: 'atr', period: 1000 },
      { type: 'adx', period: 1000 },
      { type: 'stochastic', k_period: 1000, d_period: 1000, smooth_k: 1000 },
      { type: 'roc', period: 1000 },
    ];
    for (const spec of long) {
      for (const [name, values] of Object.entries(computeIndicator(spec, tiny))) {
        assert.equal(values.length, 5);
        assert.ok(values.every((v) => Number.isNaN(v)), `${spec.type}.${name}`);
      }
    }
    const empty = syntheticOhlcv(0, 34);
    for (const type of INDICATOR_TYPES) {
      for (const values of Object.values(computeIndicator({ type }, empty))) assert.equal(values.length, 0);
    }
  });
});

describe('flat and one-way markets', () => {
  // With no movement the textbook ratios are 0/0; each indicator's documented neutral value is used.
  test('a constant series gives defined, neutral values', () => {
    const price = 1.2345;
    const s = constantOhlcv(200, price, 700);
    const after = (values: Float64Array | undefined, from: number) => Array.from(values!.subarray(from));
    const all = (values: number[], expected: number, label: string) =>
      values.forEach((v, i) => assert.ok(Math.abs(v - expected) <= 1e-12, `${label}[${i}] = ${v}, expected ${expected}`));
    all(after(computeIndicator({ type: 'sma' }, s).value, 19), price, 'sma');
    all(after(computeIndicator({ type: 'ema' }, s).value, 19), price, 'ema');
    all(after(computeIndicator({ type: 'rsi' }, s).value, 14), 50, 'rsi');
    const macd = computeIndicator({ type: 'macd' }, s);
    for (const name of ['macd', 'signal', 'histogram']) all(after(macd[name], 33), 0, `macd.${name}`);
    const bb = computeIndicator({ type: 'bollinger_bands' }, s);
    for (const name of ['upper', 'middle', 'lower']) all(after(bb[name], 19), price, `bollinger.${name}`);
    assert.ok(after(bb.width, 19).every((w) => w === 0), 'bollinger width is exactly 0');
    all(after(computeIndicator({ type: 'atr' }, s).value, 14), 0, 'atr');
    const adx = computeIndicator({ type: 'adx' }, s);
    for (const name of ['adx', 'plus_di', 'minus_di']) all(after(adx[name], 27), 0, `adx.${name}`);
    const stoch = computeIndicator({ type: 'stochastic' }, s);
    for (const name of ['k', 'd']) all(after(stoch[name], 17), 50, `stochastic.${name}`);
    all(after(computeIndicator({ type: 'roc' }, s).value, 10), 0, 'roc');
    all(after(computeIndicator({ type: 'obv' }, s).value, 0), 0, 'obv');
  });

  test('a steadily rising market: RSI 100, %K 100, -DI 0, ADX 100, OBV adds every volume', () => {
    const n = 120;
    const close = Float64Array.from({ length: n }, (_, i) => 100 + i);
    const s: OhlcvSeries = {
      symbol: 'UP', timeframe: '1h', length: n,
      time: Float64Array.from({ length: n }, (_, i) => i * 3_600_000),
      open: close.map((c) => c - 0.5), high: close.slice(), low: close.map((c) => c - 1), close, volume: new Float64Array(n).fill(10),
    };
    assert.ok(computeIndicator({ type: 'rsi' }, s).value!.subarray(14).every((v) => v === 100));
    const stoch = computeIndicator({ type: 'stochastic' }, s);
    assert.ok(stoch.k!.subarray(17).every((v) => Math.abs(v - 100) < 1e-12));
    const adx = computeIndicator({ type: 'adx' }, s);
    assert.ok(adx.minus_di!.subarray(14).every((v) => v === 0));
    assert.ok(adx.adx!.subarray(27).every((v) => Math.abs(v - 100) < 1e-12));
    assert.equal(computeIndicator({ type: 'obv' }, s).value![n - 1], 10 * (n - 1));
    const down = { ...s, close: close.slice().reverse(), high: close.slice().reverse(), low: close.map((c) => c - 1).reverse() };
    assert.ok(computeIndicator({ type: 'rsi' }, down).value!.subarray(14).every((v) => v === 0));
  });
});

test('inputs are never modified and outputs never alias them', () => {
  const s = syntheticOhlcv(500, 35);
  const before = [s.open, s.high, s.low, s.close, s.volume].map((c) => c.slice());
  const columns = new Set<ArrayBufferLike>([s.open, s.high, s.low, s.close, s.volume].map((c) => c.buffer));
  const specs: IndicatorSpec[] = [...INDICATOR_TYPES.map((type) => ({ type })), { type: 'sma', period: 1 }, { type: 'stochastic', k_period: 1, d_period: 1, smooth_k: 1 }];
  for (const spec of specs) {
    for (const values of Object.values(computeIndicator(spec, s))) assert.ok(!columns.has(values.buffer), spec.type);
  }
  [s.open, s.high, s.low, s.close, s.volume].forEach((c, k) => assert.deepEqual(c, before[k]));
});
