import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeClassificationMetrics } from '../../../src/domain/training/classification-metrics.js';

test('hand-worked confusion matrix, accuracy, precision/recall and baseline', () => {
  const actual = [0, 0, 1, 1, 1, 2];
  const predicted = [0, 1, 1, 1, 2, 2];
  const m = computeClassificationMetrics(actual, predicted);
  assert.deepEqual(m.confusion_matrix, [
    [1, 1, 0],
    [0, 2, 1],
    [0, 0, 1],
  ]);
  assert.equal(m.samples, 6);
  assert.equal(m.accuracy, 4 / 6);
  const [buy, hold, sell] = m.per_class;
  assert.deepEqual([buy!.label, buy!.precision, buy!.recall, buy!.support], ['BUY', 1, 0.5, 2]);
  assert.deepEqual([hold!.precision, hold!.recall, hold!.support], [2 / 3, 2 / 3, 3]);
  assert.deepEqual([sell!.precision, sell!.recall, sell!.support], [0.5, 1, 1]);
  assert.ok(Math.abs(buy!.f1 - (2 * 1 * 0.5) / 1.5) < 1e-12);
  // HOLD is the most frequent class: 3 of 6.
  assert.equal(m.baseline_accuracy, 0.5);
  assert.equal(m.baseline_class, 'HOLD');
});

test('a class never predicted has precision 0; empty input gives zeros', () => {
  const m = computeClassificationMetrics([0, 2], [1, 1]);
  assert.equal(m.per_class[0]!.precision, 0);
  assert.equal(m.per_class[0]!.recall, 0);
  assert.equal(m.per_class[0]!.f1, 0);
  assert.equal(m.per_class[1]!.precision, 0);
  const empty = computeClassificationMetrics([], []);
  assert.equal(empty.accuracy, 0);
  assert.equal(empty.baseline_accuracy, 0);
});

test('rejects mismatched lengths and out-of-range classes', () => {
  assert.throws(() => computeClassificationMetrics([0, 1], [0]), RangeError);
  assert.throws(() => computeClassificationMetrics([3], [0]), RangeError);
  assert.throws(() => computeClassificationMetrics([0], [5]), RangeError);
});
