import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TradeLabel } from '../../../src/domain/labels/trade-label.js';
import { zigzagLabels } from '../../../src/domain/labels/zigzag.js';

const { BUY, HOLD, SELL } = TradeLabel;
const labels = (close: number[], threshold: number, lookahead: number) =>
  Array.from(zigzagLabels(Float64Array.from(close), { threshold, lookahead }));

test('class indices are BUY=0, HOLD=1, SELL=2 (the softmax column order)', () => {
  assert.deepEqual([BUY, HOLD, SELL], [0, 1, 2]);
});

test('hand-worked series: first 0.5 % move within 3 bars decides the label', () => {
  // i0 100   : up 100.5 / down 99.5  -> 100.6 at j2            -> BUY
  // i1 100.2 : up 100.701 / down 99.699 -> 99.4 at j4 (i+3)     -> SELL
  // i2 100.6 : down 100.097 -> 100.1 is above, 99.4 at j4        -> SELL
  // i3 100.1 : down 99.5995 -> 99.4 at j4                        -> SELL
  // i4 99.4  : up 99.897 -> 99.5 no, 100.3 at j6                 -> BUY
  // i5 99.5  : up 99.9975 -> 100.3 at j6                         -> BUY
  // i6 100.3 : only j7 = 100.3 left                              -> HOLD
  // i7       : nothing ahead                                     -> HOLD
  const close = [100, 100.2, 100.6, 100.1, 99.4, 99.5, 100.3, 100.3];
  assert.deepEqual(labels(close, 0.005, 3), [BUY, SELL, SELL, SELL, BUY, BUY, HOLD, HOLD]);
});

test('labels never look beyond lookahead bars', () => {
  const close = [100, 100, 100, 101];
  assert.deepEqual(labels(close, 0.005, 2), [HOLD, BUY, BUY, HOLD]);
  assert.deepEqual(labels(close, 0.005, 3), [BUY, BUY, BUY, HOLD]);
  // Changing a price beyond the window cannot change a label.
  const a = labels([100, 100.1, 100.2, 50], 0.01, 2);
  const b = labels([100, 100.1, 100.2, 200], 0.01, 2);
  assert.equal(a[0], b[0]);
  assert.equal(a[0], HOLD);
});

test('the first barrier touched wins, even if a bigger opposite move follows', () => {
  assert.deepEqual(labels([100, 99, 102], 0.005, 2), [SELL, BUY, HOLD]);
  assert.deepEqual(labels([100, 101, 90], 0.005, 2), [BUY, SELL, HOLD]);
});

test('moves smaller than the threshold give HOLD', () => {
  assert.deepEqual(labels([100, 100.2, 99.8, 100.1, 99.9], 0.005, 4), [HOLD, HOLD, HOLD, HOLD, HOLD]);
});

test('NaN closes: own NaN is HOLD, future NaN is skipped', () => {
  assert.deepEqual(labels([100, Number.NaN, 101], 0.005, 2), [BUY, HOLD, HOLD]);
});

test('agrees with an independent brute-force oracle on a random walk', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const close = [100];
  for (let i = 1; i < 2000; i++) close.push(close[i - 1]! * (1 + (rnd() - 0.5) * 0.006));
  const threshold = 0.004;
  const lookahead = 7;
  const expected = close.map((c, i) => {
    const window = close.slice(i + 1, i + 1 + lookahead).map((p) => (p - c) / c);
    const hit = window.find((r) => Math.abs(r) >= threshold);
    return hit === undefined ? HOLD : hit > 0 ? BUY : SELL;
  });
  const got = labels(close, threshold, lookahead);
  assert.deepEqual(got, expected);
  // The walk is volatile enough that all three classes appear.
  assert.ok(new Set(got).size === 3);
});

test('rejects invalid threshold and lookahead', () => {
  const close = new Float64Array([1, 2, 3]);
  for (const threshold of [0, -0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => zigzagLabels(close, { threshold, lookahead: 2 }), RangeError);
  }
  for (const lookahead of [0, -1, 1.5]) {
    assert.throws(() => zigzagLabels(close, { threshold: 0.01, lookahead }), RangeError);
  }
});

test('empty input gives empty labels', () => {
  assert.equal(zigzagLabels(new Float64Array(0), { threshold: 0.01, lookahead: 3 }).length, 0);
});
