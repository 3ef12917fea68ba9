import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OhlcvSeries } from '../../../src/domain/data/ohlcv.js';
import { computeIndicator } from '../../../src/domain/indicators/registry.js';

// Small series worked out by hand from the textbook definitions (derivations in the comments).
function bars(rows: readonly (readonly [high: number, low: number, close: number, volume: number])[]): OhlcvSeries {
  const col = (k: number) => Float64Array.from(rows, (r) => r[k]!);
  const close = col(2);
  return {
    symbol: 'HAND',
    timeframe: '1h',
    length: rows.length,
    time: Float64Array.from(rows, (_, i) => i * 3_600_000),
    open: close.slice(),
    high: col(0),
    low: col(1),
    close,
    volume: col(3),
  };
}
function closes(values: readonly number[]): OhlcvSeries {
  return bars(values.map((c) => [c, c, c, 1] as const));
}
function assertSeries(actual: Float64Array | undefined, expected: readonly number[], label: string): void {
  assert.ok(actual, `${label}: missing output`);
  assert.equal(actual.length, expected.length, `${label}: length`);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${label}[${i}]: expected NaN, got ${a}`);
    else assert.ok(Math.abs(a - e) <= 1e-12 * Math.max(1, Math.abs(e)), `${label}[${i}]: expected ${e}, got ${a}`);
  });
}
const N = NaN;

//          high  low  close volume
const HLC = bars([
  [10, 8, 9, 100],
  [11, 9, 10.5, 200],
  [12, 10.5, 11, 300],
  [11.5, 9, 9.5, 400],
  [15, 14, 14.5, 500],
]);

test('sma: mean of the last `period` values', () => {
  assertSeries(computeIndicator({ type: 'sma', period: 3 }, closes([1, 2, 3, 4, 8])).value, [N, N, 2, 3, 5], 'sma');
});

test('ema: seeded with the SMA, then alpha = 2 / (period + 1)', () => {
  // seed mean(2,4,6) = 4; alpha 0.5: 4 + 0.5(8-4) = 6; 6 + 0.5(4-6) = 5
  assertSeries(computeIndicator({ type: 'ema', period: 3 }, closes([2, 4, 6, 8, 4])).value, [N, N, 4, 6, 5], 'ema');
});

test('rsi: Wilder averages of gains and losses', () => {
  // changes +1, -0.5, +1, 0, -0.5; bar 2: gain 0.5, loss 0.25 -> 200/3
  // bar 3: gain 0.75, loss 0.125 -> 600/7; bar 4: 0.375, 0.0625 -> 600/7; bar 5: 0.1875, 0.28125 -> 40
  const rsi = computeIndicator({ type: 'rsi', period: 2 }, closes([10, 11, 10.5, 11.5, 11.5, 11])).value;
  assertSeries(rsi, [N, N, 200 / 3, 600 / 7, 600 / 7, 40], 'rsi');
});

test('macd: EMA(fast) - EMA(slow), signal = EMA of the MACD line', () => {
  // EMA2 (alpha 2/3): -, 3, 5, 7, 5, 3; EMA3 (alpha 1/2): -, -, 4, 6, 5, 3.5
  // macd: 1, 1, 0, -0.5 from bar 2; signal seed mean(1, 1) = 1 at bar 3, then 1/3, -2/9
  const out = computeIndicator({ type: 'macd', fast_period: 2, slow_period: 3, signal_period: 2 }, closes([2, 4, 6, 8, 4, 2]));
  assertSeries(out.macd, [N, N, 1, 1, 0, -0.5], 'macd');
  assertSeries(out.signal, [N, N, N, 1, 1 / 3, -2 / 9], 'signal');
  assertSeries(out.histogram, [N, N, N, 0, -1 / 3, -5 / 18], 'histogram');
});

test('bollinger_bands: SMA +/- multiplier x population sd; width = (upper - lower) / middle', () => {
  // window (9, 10.5, 11): mean 61/6, deviations -7/6, 2/6, 5/6 -> variance 78/36/3 = 13/18
  const out = computeIndicator({ type: 'bollinger_bands', period: 3, multiplier: 2 }, HLC);
  const mean = 61 / 6;
  const sd = Math.sqrt(13 / 18);
  assert.ok(Math.abs(out.middle![2]! - mean) < 1e-12);
  assert.ok(Math.abs(out.upper![2]! - (mean + 2 * sd)) < 1e-12);
  assert.ok(Math.abs(out.lower![2]! - (mean - 2 * sd)) < 1e-12);
  assert.ok(Math.abs(out.width![2]! - (4 * sd) / mean) < 1e-12);
  assert.ok(Number.isNaN(out.upper![1]!));
});

test('atr: Wilder average of the true range, which includes gaps from the previous close', () => {
  // TR: bar1 max(2, 2, 0) = 2; bar2 max(1.5, 1.5, 0) = 1.5; bar3 max(2.5, 0.5, 2) = 2.5;
  // bar4 (gap up) max(1, 5.5, 4.5) = 5.5. ATR2: 1.75, 2.125, 3.8125
  assertSeries(computeIndicator({ type: 'atr', period: 2 }, HLC).value, [N, N, 1.75, 2.125, 3.8125], 'atr');
});

test('adx: Wilder +DM/-DM/TR, DX and its Wilder average', () => {
  // +DM: 1, 1, 0, 3.5; -DM: 0, 0, 1.5, 0; TR: 2, 1.5, 2.5, 5.5 (bars 1..4)
  // bar 2: TR 1.75, +DM 1, -DM 0 -> +DI 100/1.75, -DI 0, DX 100
  // bar 3: TR 2.125, +DM 0.5, -DM 0.75 -> DX 20; ADX = (100 + 20) / 2 = 60
  // bar 4: TR 3.8125, +DM 2, -DM 0.375 -> DX 162.5/2.375; ADX = 60 + (DX - 60) / 2
  const out = computeIndicator({ type: 'adx', period: 2 }, HLC);
  assertSeries(out.plus_di, [N, N, 100 / 1.75, 50 / 2.125, 200 / 3.8125], 'plus_di');
  assertSeries(out.minus_di, [N, N, 0, 75 / 2.125, 37.5 / 3.8125], 'minus_di');
  assertSeries(out.adx, [N, N, N, 60, 60 + (162.5 / 2.375 - 60) / 2], 'adx');
});

test('stochastic: %K over the highest high / lowest low, %D its SMA', () => {
  // k_period 3: bar 2 HH 12 LL 8 -> 75; bar 3 HH 12 LL 9 -> 50/3; bar 4 HH 15 LL 9 -> 275/3
  const fast = computeIndicator({ type: 'stochastic', k_period: 3, d_period: 2, smooth_k: 1 }, HLC);
  assertSeries(fast.k, [N, N, 75, 50 / 3, 275 / 3], 'fast k');
  assertSeries(fast.d, [N, N, N, (75 + 50 / 3) / 2, (50 / 3 + 275 / 3) / 2], 'fast d');
  const slow = computeIndicator({ type: 'stochastic', k_period: 3, d_period: 2, smooth_k: 2 }, HLC);
  assertSeries(slow.k, [N, N, N, (75 + 50 / 3) / 2, (50 / 3 + 275 / 3) / 2], 'slow k');
  assertSeries(slow.d, [N, N, N, N, ((75 + 50 / 3) / 2 + (50 / 3 + 275 / 3) / 2) / 2], 'slow d');
});

test('roc: percent change over `period` bars', () => {
  const roc = computeIndicator({ type: 'roc', period: 2 }, HLC).value;
  assertSeries(roc, [N, N, (100 * 2) / 9, (100 * -1) / 10.5, (100 * 3.5) / 11], 'roc');
});

test('obv: adds volume on up closes, subtracts on down closes, keeps it on equal closes', () => {
  const s = bars([
    [9, 9, 9, 100],
    [11, 11, 11, 200],
    [11, 11, 11, 300],
    [10, 10, 10, 400],
    [12, 12, 12, 500],
  ]);
  assertSeries(computeIndicator({ type: 'obv' }, s).value, [0, 200, 200, -200, 300], 'obv');
});
