import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeClassWeights, countClasses } from '../../../src/domain/training/class-weights.js';

const close = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < 1e-12);

test('inverse frequency, normalised to sum to the number of classes present', () => {
  // counts 2 / 6 / 2 -> inverse 1/2, 1/6, 1/2 (sum 7/6) -> × 3 / (7/6) = 9/7, 3/7, 9/7
  const labels = [0, 0, 1, 1, 1, 1, 1, 1, 2, 2];
  assert.deepEqual(countClasses(labels, 3), [2, 6, 2]);
  const w = computeClassWeights(labels, 3);
  assert.ok(close(w, [9 / 7, 3 / 7, 9 / 7]), String(w));
  // Each class then carries the same total weight.
  assert.ok(Math.abs(w[0]! * 2 - w[1]! * 6) < 1e-12);
});

test('a balanced set gets all ones', () => {
  assert.ok(close(computeClassWeights([0, 1, 2, 2, 1, 0], 3), [1, 1, 1]));
});

test('an absent class gets 0 and the others sum to the number present', () => {
  // counts 1 / 3 / 0 -> inverse 1, 1/3 (sum 4/3) -> × 2 / (4/3) = 1.5, 0.5
  assert.ok(close(computeClassWeights([0, 1, 1, 1], 3), [1.5, 0.5, 0]));
});

test('only the given rows are counted, and labels ≥ numClasses are ignored', () => {
  const labels = [0, 0, 0, 1, 2, 255];
  assert.deepEqual(countClasses(labels, 3, [2, 3, 4, 5]), [1, 1, 1]);
  assert.ok(close(computeClassWeights(labels, 3, [2, 3, 4, 5]), [1, 1, 1]));
  assert.deepEqual(computeClassWeights([], 3), [0, 0, 0]);
});
