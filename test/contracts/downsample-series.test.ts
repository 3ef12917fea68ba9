import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsampleIndices, drawdowns } from '../../src/contracts/downsample-series.js';
import { mulberry32 } from '../domain/backtest/backtest-fixtures.js';

/** A random walk with a planted one-bar crash a naive stride would likely miss. */
function walk(n: number, crashAt: number): Float64Array {
  const rnd = mulberry32(5);
  const values = new Float64Array(n);
  let e = 1000;
  for (let i = 0; i < n; i++) values[i] = e *= 1 + (rnd() - 0.5) * 0.01;
  values[crashAt] = values[crashAt - 1]! * 0.5;
  return values;
}

function argMin(v: ArrayLike<number>, from = 0): number {
  let k = from;
  for (let i = from + 1; i < v.length; i++) if (v[i]! < v[k]!) k = i;
  return k;
}

function argMax(v: ArrayLike<number>, from = 0): number {
  let k = from;
  for (let i = from + 1; i < v.length; i++) if (v[i]! > v[k]!) k = i;
  return k;
}

test('downsampleIndices keeps every point (of the range) when they fit', () => {
  assert.deepEqual(downsampleIndices([5, 6, 7, 8], 10), [0, 1, 2, 3]);
  assert.deepEqual(downsampleIndices([5, 6, 7, 8], 10, { start: 1 }), [1, 2, 3]);
  assert.deepEqual(downsampleIndices([5, 6, 7, 8], 10, { start: 1, end: 3 }), [1, 2]);
  assert.deepEqual(downsampleIndices([], 10), []);
});

test('downsampleIndices stays within the budget and keeps first, last, extremes, the crash bar and the deepest drawdown', () => {
  const values = walk(50_000, 31_337);
  for (const maxPoints of [2, 4, 5, 1000, 2000]) {
    const idx = downsampleIndices(values, maxPoints);
    assert.ok(idx.length <= maxPoints && idx.length >= 2, `${idx.length} points for ${maxPoints}`);
    assert.ok(idx.every((v, k) => k === 0 || v > idx[k - 1]!), 'strictly increasing');
    assert.equal(idx[0], 0);
    assert.equal(idx.at(-1), values.length - 1);
  }
  const idx = downsampleIndices(values, 2000);
  assert.ok(idx.length >= 2 + 666, `${idx.length} points: three per bucket`);
  assert.ok(idx.includes(argMin(values)) && idx.includes(argMax(values)), 'global min and max kept');
  assert.ok(idx.includes(31_337), 'the crash bar is kept');
  const dd = drawdowns(values);
  assert.ok(idx.includes(argMax(dd)), 'the maximum drawdown trough is kept');
});

test('downsampleIndices of a range measures drawdowns from its start', () => {
  const values = walk(20_000, 15_000);
  const idx = downsampleIndices(values, 500, { start: 10_000 });
  assert.ok(idx.length <= 500);
  assert.equal(idx[0], 10_000);
  assert.equal(idx.at(-1), values.length - 1);
  assert.ok(idx.includes(argMin(values, 10_000)) && idx.includes(argMax(values, 10_000)), 'min and max of the range kept');
  assert.ok(idx.includes(argMax(drawdowns(values, 10_000))), 'the range\'s deepest drawdown kept');
});

test('downsampleIndices refuses fewer than 2 points', () => {
  assert.throws(() => downsampleIndices([1, 2, 3], 1), RangeError);
  assert.throws(() => downsampleIndices([1, 2, 3], 2.5), RangeError);
});

test('drawdowns is (running peak − value) / running peak, from start on', () => {
  assert.deepEqual(Array.from(drawdowns([100, 120, 90, 130, 117])), [0, 0, 0.25, 0, 0.1]);
  assert.deepEqual(Array.from(drawdowns([200, 120, 90, 130, 117], 1)), [0, 0, 0.25, 0, 0.1]);
  assert.deepEqual(Array.from(drawdowns([-5, -1, 0])), [0, 0, 0], 'no drawdown against a peak ≤ 0');
});
