import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyZScore, fitZScore } from '../../../src/domain/model/feature-normalization.js';

test('mean and population std per column; a constant column gets std 1', () => {
  // column 0: 1, 2, 3 -> mean 2, var (1 + 0 + 1) / 3 = 2/3 ; column 1: 5, 5, 5 -> mean 5, std 1
  const values = Float32Array.from([1, 5, 2, 5, 3, 5]);
  const n = fitZScore(values, 2);
  assert.deepEqual(n.mean, [2, 5]);
  assert.ok(Math.abs(n.std[0]! - Math.sqrt(2 / 3)) < 1e-12);
  assert.equal(n.std[1], 1);
  const out = applyZScore(n, values, 2);
  const s = Math.sqrt(2 / 3);
  const expected = [-1 / s, 0, 0, 0, 1 / s, 0];
  out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `${i}: ${v}`));
});

test('fits on the given rows only and ignores NaN', () => {
  const values = Float32Array.from([0, Number.NaN, 10, 4, 100, 6]);
  // rows 0 and 1 only: column 0 -> 0, 10 (mean 5, std 5); column 1 -> NaN ignored, 4 (mean 4, std -> 1)
  const n = fitZScore(values, 2, [0, 1]);
  assert.deepEqual(n.mean, [5, 4]);
  assert.deepEqual(n.std, [5, 1]);
  const out = applyZScore(n, values, 2);
  assert.ok(Number.isNaN(out[1]!));
  assert.equal(out[4], 19); // (100 - 5) / 5
});

test('column count mismatch throws', () => {
  const n = fitZScore(Float32Array.from([1, 2]), 2);
  assert.throws(() => applyZScore(n, Float32Array.from([1, 2, 3]), 3), RangeError);
});
